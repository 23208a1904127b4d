package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/stockroomhq/stockroom/intake"
	"github.com/stockroomhq/stockroom/internal/procs"
)

// sseKeepAlive is how often an idle events stream sends a comment, so that
// proxies and clients do not take it for dead.
const sseKeepAlive = 15 * time.Second

// jobEvents streams the queue as server-sent events: "init" with every job,
// then "added", "updated" and "removed" with the job concerned. The stream
// ends when the client goes, or when it falls too far behind (a client
// reconnects and gets a fresh "init").
func (a *api) jobEvents(w http.ResponseWriter, r *http.Request) {
	if !a.jobsReady(w, r) {
		return
	}
	snapshot, events, cancel := a.jobs.Subscribe()
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// From here the stream mostly waits: it is no work in progress that
	// should keep the server on every CPU. Done comes before the first
	// event, so that a client that has it knows the stream counts no more.
	procs.Done(r.Context())
	if !send("init", jobsBody{Jobs: snapshot}) {
		return
	}
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			if !send(ev.Type, struct {
				Job intake.Job `json:"job"`
			}{ev.Job}) {
				return
			}
		}
	}
}
