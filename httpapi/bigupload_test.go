package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heapSampler records the peak HeapAlloc above a baseline while it runs.
type heapSampler struct {
	base uint64
	peak atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

// startHeapSampler collects garbage, takes the baseline and samples the
// heap every few milliseconds until Stop.
func startHeapSampler() *heapSampler {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := &heapSampler{base: ms.HeapAlloc, stop: make(chan struct{})}
	s.peak.Store(ms.HeapAlloc)
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > s.peak.Load() {
					s.peak.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the baseline and the peak growth over it.
func (s *heapSampler) Stop() (base, growth uint64) {
	close(s.stop)
	s.done.Wait()
	return s.base, s.peak.Load() - s.base
}

const mib = 1 << 20

// TestUploadLargeStreams uploads 256 MB (64 MB under the race detector)
// generated on the fly and checks that neither the upload nor the download
// of it holds the content on the heap.
func TestUploadLargeStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("large upload skipped in -short mode")
	}
	size := int64(256 * mib)
	if raceEnabled {
		size = 64 * mib
	}
	const maxGrowth = 64 * mib
	e := newTestEnv(t, withDiskBlobs())

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	hasher := sha256.New()
	go func() {
		err := func() error {
			if err := mw.WriteField("Name", "big"); err != nil {
				return err
			}
			fw, err := mw.CreateFormFile("resource", "big.bin")
			if err != nil {
				return err
			}
			src := io.LimitReader(rand.NewChaCha8([32]byte{'s', 't', 'o', 'c', 'k'}), size)
			if _, err := io.Copy(fw, io.TeeReader(src, hasher)); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", e.URL+"/v1/resource", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())

	sampler := startHeapSampler()
	start := time.Now()
	resp := send(t, req)
	elapsed := time.Since(start)
	base, growth := sampler.Stop()
	t.Logf("upload of %d MiB in %v (race detector: %v): heap baseline %.1f MiB, peak growth %.1f MiB",
		size/mib, elapsed.Round(time.Millisecond), raceEnabled, float64(base)/mib, float64(growth)/mib)
	got := resp.wantStatus(t, http.StatusOK).object(t)
	if growth > maxGrowth {
		t.Errorf("heap grew by %.1f MiB during the upload, want at most %d MiB", float64(growth)/mib, maxGrowth/mib)
	}
	wantHash := hex.EncodeToString(hasher.Sum(nil))
	if got["Hash"] != wantHash || got["FileSize"] != size {
		t.Errorf("Hash %v FileSize %v, want %s %d", got["Hash"], got["FileSize"], wantHash, size)
	}
	if blobs := e.blobs(t); len(blobs) != 1 || blobs[0] != wantHash {
		t.Errorf("blobs %v, want [%s]", blobs, wantHash)
	}

	// Download it back through /files/, hashing as it arrives.
	loc := do(t, "GET", e.URL+"/v1/resource/view"+qs("id", itoa(got["ID"].(int64))), nil).wantStatus(t, http.StatusFound).Header.Get("Location")
	sampler = startHeapSampler()
	start = time.Now()
	dl, err := http.Get(e.URL + loc)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, dl.Body)
	dl.Body.Close()
	elapsed = time.Since(start)
	base, growth = sampler.Stop()
	t.Logf("download of %d MiB in %v: heap baseline %.1f MiB, peak growth %.1f MiB",
		n/mib, elapsed.Round(time.Millisecond), float64(base)/mib, float64(growth)/mib)
	if err != nil || dl.StatusCode != http.StatusOK {
		t.Fatalf("download: status %d, %v", dl.StatusCode, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != wantHash || n != size {
		t.Errorf("downloaded %d bytes hashing to %x, want %d bytes hashing to %s", n, h.Sum(nil), size, wantHash)
	}
	if growth > maxGrowth {
		t.Errorf("heap grew by %.1f MiB during the download, want at most %d MiB", float64(growth)/mib, maxGrowth/mib)
	}
}
