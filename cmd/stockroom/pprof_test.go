package main

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
)

func TestPprofOffByDefault(t *testing.T) {
	if got := startPprof("", slog.New(slog.DiscardHandler)); got != "" {
		t.Fatalf("startPprof(\"\") serves on %q, want nothing", got)
	}
}

func TestPprofServesProfiles(t *testing.T) {
	addr := startPprof("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if addr == "" {
		t.Fatal("startPprof did not serve")
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("GET goroutine profile: %d, %d bytes", resp.StatusCode, len(body))
	}
}
