package blobstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/blobstore"
)

// receiver returns s as a blobstore.Receiver, or skips the test when s is
// not one.
func receiver(t *testing.T, s blobstore.Store) blobstore.Receiver {
	t.Helper()
	rv, ok := s.(blobstore.Receiver)
	if !ok {
		t.Skip("the store is not a blobstore.Receiver")
	}
	return rv
}

func mustReceive(t *testing.T, rv blobstore.Receiver, data []byte) blobstore.Received {
	t.Helper()
	rc, err := rv.Receive(t.Context(), newChunkReader(data, 1000))
	if err != nil {
		t.Fatalf("Receive(%d bytes): %v", len(data), err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// testReceive: Receive hashes and holds the content without storing it;
// Store stores it once, as Put would; the blob outlives Close.
func testReceive(t *testing.T, s blobstore.Store) {
	rv := receiver(t, s)
	data := randomBytes(7, 300_000)
	rc := mustReceive(t, rv, data)
	h := blobstore.Hash(sha256.Sum256(data))
	if rc.Hash() != h || rc.Size() != int64(len(data)) {
		t.Fatalf("Received hash %s size %d, want %s %d", rc.Hash(), rc.Size(), h, len(data))
	}
	for range 2 { // each reader starts at the beginning
		got, err := io.ReadAll(rc.NewReader())
		if err != nil {
			t.Fatalf("reading the received content: %v", err)
		}
		checkContent(t, h, data, got)
	}
	buf := make([]byte, 4)
	if _, err := rc.NewReader().ReadAt(buf, 1000); err != nil || !bytes.Equal(buf, data[1000:1004]) {
		t.Errorf("ReadAt(1000) = %x, %v; want %x", buf, err, data[1000:1004])
	}
	_, err := s.Stat(t.Context(), h)
	checkNotFound(t, "Stat before Store", err)
	checkEmpty(t, s)

	res, err := rc.Store(t.Context())
	if err != nil {
		t.Fatalf("Store: %v", err)
	}
	want := blobstore.PutResult{Hash: h, Size: int64(len(data)), Created: true}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Store result mismatch (-want +got):\n%s", diff)
	}
	if again, err := rc.Store(t.Context()); err != nil || again != res {
		t.Errorf("second Store = %+v, %v; want the first result %+v", again, err, res)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := rc.NewReader().Read(buf); err == nil {
		t.Errorf("reading the received content after Close succeeded")
	}
	checkContent(t, h, data, mustRead(t, s, h))
	mustVerify(t, s, h)

	// The same content again is not created again.
	rc = mustReceive(t, rv, data)
	want.Created = false
	if res, err := rc.Store(t.Context()); err != nil || res != want {
		t.Errorf("Store of stored content = %+v, %v; want %+v", res, err, want)
	}
	if got := walkAll(t, s); len(got) != 1 {
		t.Errorf("Walk found %d blobs, want 1", len(got))
	}
}

// testReceiveDiscard: content received and closed without Store leaves
// nothing; a Store that fails on its context stores nothing.
func testReceiveDiscard(t *testing.T, s blobstore.Store) {
	rv := receiver(t, s)
	rc := mustReceive(t, rv, []byte("never stored"))
	if err := rc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := rc.Store(t.Context()); err == nil {
		t.Errorf("Store after Close succeeded")
	}
	checkEmpty(t, s)

	rc = mustReceive(t, rv, []byte("stored too late"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := rc.Store(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Store with a cancelled context returned %v, want context.Canceled", err)
	}
	checkEmpty(t, s)
	if _, err := rc.Store(t.Context()); err != nil {
		t.Errorf("Store after a cancelled one: %v", err)
	}
}

// testReceiveFailures: Receive fails as Put does and leaves nothing.
func testReceiveFailures(t *testing.T, s blobstore.Store) {
	rv := receiver(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := rv.Receive(ctx, bytes.NewReader([]byte("too late"))); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a cancelled context returned %v, want context.Canceled", err)
	}
	errBoom := errors.New("boom")
	r := &hookReader{r: newStreamReader(8, 4<<20), after: 1 << 20, hook: func() error { return errBoom }}
	if _, err := rv.Receive(t.Context(), r); !errors.Is(err, errBoom) {
		t.Errorf("Receive from a failing reader returned %v, want the reader's error", err)
	}
	checkEmpty(t, s)
}
