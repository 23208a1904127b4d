//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestAcknowledgedUploadsSurviveSIGKILL uploads from four clients, kills
// the server with SIGKILL while they are sending, and checks after a
// restart that every upload answered 2xx is there with its bytes: the
// answer comes only after the blob, its directory and the row are durable.
func TestAcknowledgedUploadsSurviveSIGKILL(t *testing.T) {
	work := t.TempDir()
	dataDir := filepath.Join(work, "data")
	p := startServer(t, work, nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	client := &http.Client{Timeout: 10 * time.Second}
	type acked struct {
		id      int64
		content []byte
	}
	var mu sync.Mutex
	var got []acked
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				content := benchJPEG(t, uint64(c*100000+i+1))
				ct, body := multipartUpload(t, fmt.Sprintf("k%d-%d.jpg", c, i), content, url.Values{})
				resp, err := client.Post(p.url("/v1/resource"), ct, bytes.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					continue
				}
				var res struct{ ID int64 }
				if err := json.Unmarshal(b, &res); err != nil || res.ID == 0 {
					continue // cut off mid-answer: not acknowledged
				}
				mu.Lock()
				got = append(got, acked{res.ID, content})
				mu.Unlock()
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	close(stop)
	wg.Wait()
	if len(got) == 0 {
		t.Fatal("no upload was acknowledged before the kill")
	}
	p2 := startServer(t, work, nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	for _, a := range got {
		b, _ := viewBytes(t, p2, a.id)
		if !bytes.Equal(b, a.content) {
			t.Errorf("resource %d: %d bytes after the restart, want the %d acknowledged", a.id, len(b), len(a.content))
		}
	}
	t.Logf("%d acknowledged uploads checked after SIGKILL", len(got))
}
