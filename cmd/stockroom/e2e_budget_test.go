//go:build !windows

package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/imagetest"
)

// vmHWM reads the peak resident memory of process pid, in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// TestImageMemoryBudget runs the binary with a 128 MiB image budget and
// sends it the hostile files of issue 14, 16 requests of each at once: the
// GIF of 3,000 frames of 1000x1000 rotated, the 16-bit PNG at the 100 MP
// limit previewed (and hashed in the background), and an 8-bit 5000x5000
// PNG (100 MB decoded) previewed in every size. Its peak resident memory
// stays under the budget plus 150 MiB.
func TestImageMemoryBudget(t *testing.T) {
	const budget = 128 << 20
	work := t.TempDir()
	p := startServer(t, work, nil, "-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(work, "data"),
		"-image-memory", "128MiB", "-max-concurrent-uploads", "0")
	upload := func(name string, data []byte) int64 {
		ct, body := multipartBody(t, name, data, nil)
		var created resourceJSON
		doJSON(t, newRequest(t, "POST", p.base+"/v1/resource", ct, body), http.StatusOK, &created)
		return created.ID
	}
	gif := upload("frames.gif", imagetest.AnimatedGIF(1000, 1000, 3000))
	png16 := upload("deep.png", imagetest.PNG16(10000, 10000))
	png8 := upload("large.png", imagetest.PNGZeros(5000, 5000, 8))

	status := func(req *http.Request) (int, string) {
		resp, err := testClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Stockroom-Preview-Reason")
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if code, _ := status(newRequest(t, "POST", p.base+"/v1/resources/rotate", "application/json",
				strings.NewReader(fmt.Sprintf(`{"ID": %d, "Degrees": 90}`, gif)))); code != http.StatusUnsupportedMediaType {
				t.Errorf("rotating the GIF: %d, want 415", code)
			}
		})
		wg.Go(func() {
			code, reason := status(newRequest(t, "GET", fmt.Sprintf("%s/v1/resource/preview?ID=%d&Width=%d", p.base, png16, 64<<(i%6)), "", nil))
			if code != http.StatusOK || reason != "over-memory-budget" {
				t.Errorf("preview of the 16-bit PNG: %d %q", code, reason)
			}
		})
		wg.Go(func() {
			code, reason := status(newRequest(t, "GET", fmt.Sprintf("%s/v1/resource/preview?ID=%d&Width=%d", p.base, png8, 64<<(i%6)), "", nil))
			if code != http.StatusOK || reason != "" {
				t.Errorf("preview of the 8-bit PNG: %d %q", code, reason)
			}
		})
	}
	wg.Wait()
	time.Sleep(time.Second) // the background hashing of the three
	peak := vmHWM(t, p.cmd.Process.Pid)
	t.Logf("peak RSS %d MiB with an image budget of %d MiB", peak>>20, budget>>20)
	if peak > budget+150<<20 {
		t.Errorf("peak RSS %d MiB, over the budget of %d MiB + 150 MiB", peak>>20, budget>>20)
	}
}
