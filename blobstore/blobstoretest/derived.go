package blobstoretest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stockroomhq/stockroom/blobstore"
)

// DerivedStore is a store with the derived-file capability, as RunDerived
// needs it.
type DerivedStore interface {
	blobstore.Store
	blobstore.DerivedStore
}

// RunDerived runs the conformance suite of blobstore.DerivedStore against
// stores made by newStore, each empty.
func RunDerived(t *testing.T, newStore func(t *testing.T) DerivedStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s DerivedStore)
	}{
		{"PutOpen", testDerivedPutOpen},
		{"Replace", testDerivedReplace},
		{"Missing", testDerivedMissing},
		{"Names", testDerivedNames},
		{"ReaderError", testDerivedReaderError},
		{"RemoveDerived", testDerivedRemove},
		{"RemoveBlob", testDerivedGoWithBlob},
		{"NotWalked", testDerivedNotWalked},
		{"Concurrent", testDerivedConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

func putDerived(tb testing.TB, s DerivedStore, h blobstore.Hash, name string, data []byte) {
	tb.Helper()
	if err := s.PutDerived(tb.Context(), h, name, bytes.NewReader(data)); err != nil {
		tb.Fatalf("PutDerived(%s, %q): %v", h, name, err)
	}
}

func readDerived(tb testing.TB, s DerivedStore, h blobstore.Hash, name string) ([]byte, error) {
	tb.Helper()
	f, err := s.OpenDerived(tb.Context(), h, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func testDerivedPutOpen(t *testing.T, s DerivedStore) {
	blob := mustPut(t, s, []byte("a picture"))
	putDerived(t, s, blob.Hash, "preview-256x256", []byte("small picture"))
	putDerived(t, s, blob.Hash, "preview-64x64", []byte("tiny picture"))
	for name, want := range map[string]string{"preview-256x256": "small picture", "preview-64x64": "tiny picture"} {
		got, err := readDerived(t, s, blob.Hash, name)
		if err != nil {
			t.Fatalf("OpenDerived(%q): %v", name, err)
		}
		if string(got) != want {
			t.Errorf("derived %q = %q, want %q", name, got, want)
		}
	}
}

func testDerivedReplace(t *testing.T, s DerivedStore) {
	blob := mustPut(t, s, []byte("a picture"))
	putDerived(t, s, blob.Hash, "p", []byte("first"))
	putDerived(t, s, blob.Hash, "p", []byte("second"))
	got, err := readDerived(t, s, blob.Hash, "p")
	if err != nil || string(got) != "second" {
		t.Errorf("after replacing: %q, %v; want \"second\"", got, err)
	}
}

func testDerivedMissing(t *testing.T, s DerivedStore) {
	blob := mustPut(t, s, []byte("a picture"))
	_, err := s.OpenDerived(t.Context(), blob.Hash, "nothing-here")
	checkNotFound(t, "OpenDerived", err)
}

func testDerivedNames(t *testing.T, s DerivedStore) {
	blob := mustPut(t, s, []byte("a picture"))
	for _, name := range []string{"", ".", "..", ".hidden", "a/b", "../x", "A", "x y", string(bytes.Repeat([]byte("a"), 129))} {
		if err := s.PutDerived(t.Context(), blob.Hash, name, bytes.NewReader(nil)); !errors.Is(err, blobstore.ErrInvalidName) {
			t.Errorf("PutDerived(%q) = %v, want ErrInvalidName", name, err)
		}
		if _, err := s.OpenDerived(t.Context(), blob.Hash, name); !errors.Is(err, blobstore.ErrInvalidName) {
			t.Errorf("OpenDerived(%q) = %v, want ErrInvalidName", name, err)
		}
	}
}

func testDerivedReaderError(t *testing.T, s DerivedStore) {
	blob := mustPut(t, s, []byte("a picture"))
	putDerived(t, s, blob.Hash, "p", []byte("good"))
	boom := errors.New("boom")
	err := s.PutDerived(t.Context(), blob.Hash, "p", io.MultiReader(bytes.NewReader([]byte("partial")), &failReader{boom}))
	if !errors.Is(err, boom) {
		t.Errorf("PutDerived with a failing reader = %v, want it to wrap the reader's error", err)
	}
	got, err := readDerived(t, s, blob.Hash, "p")
	if err != nil || string(got) != "good" {
		t.Errorf("after a failed replace: %q, %v; want the old content", got, err)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }

func testDerivedRemove(t *testing.T, s DerivedStore) {
	blob := mustPut(t, s, []byte("a picture"))
	putDerived(t, s, blob.Hash, "a", []byte("1"))
	putDerived(t, s, blob.Hash, "b", []byte("2"))
	for range 2 {
		if err := s.RemoveDerived(t.Context(), blob.Hash); err != nil {
			t.Fatalf("RemoveDerived: %v", err)
		}
	}
	for _, name := range []string{"a", "b"} {
		_, err := s.OpenDerived(t.Context(), blob.Hash, name)
		checkNotFound(t, "OpenDerived after RemoveDerived", err)
	}
	if got := mustRead(t, s, blob.Hash); string(got) != "a picture" {
		t.Errorf("RemoveDerived touched the blob: %q", got)
	}
}

func testDerivedGoWithBlob(t *testing.T, s DerivedStore) {
	gone := mustPut(t, s, []byte("removed picture"))
	kept := mustPut(t, s, []byte("kept picture"))
	putDerived(t, s, gone.Hash, "p", []byte("x"))
	putDerived(t, s, kept.Hash, "p", []byte("y"))
	if err := s.Remove(t.Context(), gone.Hash); err != nil {
		t.Fatal(err)
	}
	_, err := s.OpenDerived(t.Context(), gone.Hash, "p")
	checkNotFound(t, "OpenDerived after removing its blob", err)
	if got, err := readDerived(t, s, kept.Hash, "p"); err != nil || string(got) != "y" {
		t.Errorf("derived file of another blob: %q, %v", got, err)
	}
}

func testDerivedNotWalked(t *testing.T, s DerivedStore) {
	blob := mustPut(t, s, []byte("a picture"))
	putDerived(t, s, blob.Hash, "p", []byte("derived"))
	got := walkAll(t, s)
	if len(got) != 1 || got[0].Hash != blob.Hash {
		t.Errorf("Walk = %v, want the blob only", hashes(got))
	}
}

func testDerivedConcurrent(t *testing.T, s DerivedStore) {
	blob := mustPut(t, s, []byte("a picture"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			data := []byte(fmt.Sprintf("version %d", i%2))
			if err := s.PutDerived(t.Context(), blob.Hash, "p", bytes.NewReader(data)); err != nil {
				t.Errorf("PutDerived: %v", err)
			}
			if got, err := readDerived(t, s, blob.Hash, "p"); err != nil || (string(got) != "version 0" && string(got) != "version 1") {
				t.Errorf("read %q, %v: want a whole version", got, err)
			}
		})
	}
	wg.Wait()
}
