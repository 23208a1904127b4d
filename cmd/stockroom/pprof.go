package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// startPprof serves the runtime profiles on addr, a listener of its own
// apart from the API, for profiling the server under load. It is off
// unless STOCKROOM_PPROF names an address; it is a developer's switch, not
// an operator's setting, so it has no flag and no documentation beyond
// this. It returns the address it serves on, "" when it does not.
func startPprof(addr string, logger *slog.Logger) string {
	if addr == "" {
		return ""
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Warn("pprof not served", "addr", addr, "err", err)
		return ""
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	logger.Info("pprof", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	go http.Serve(ln, mux)
	return ln.Addr().String()
}
