package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/intake"
)

// TestJobIDsAreStrings: a job's id is a JSON string wherever a job is shown,
// as in the reference: the submit answer, get, queue, and every event of
// the stream, "init" and "removed" included.
func TestJobIDsAreStrings(t *testing.T) {
	gate := make(chan struct{})
	var once sync.Once
	openGate := func() { once.Do(func() { close(gate) }) }
	defer openGate()
	o := newOrigin(t, map[string][]byte{"/a.png": pngBytes(t, 3, 3, 5)}, func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-gate:
			return false
		case <-r.Context().Done():
			return true
		}
	})
	// A short retention, for the "removed" event.
	e := newIntakeEnv(t, intakeOptions{jobs: intake.Config{Retention: time.Second}})
	events := subscribe(t, e)
	if init := events.next(t); init.typ != "init" {
		t.Fatalf("first event %s %s", init.typ, init.data)
	}

	sub := do(t, "POST", e.URL+"/v1/jobs/download/submit", map[string]any{"URL": o.URL + "/a.png"}).wantStatus(t, http.StatusAccepted).object(t)
	id := jobID(t, sub["jobs"].([]any)[0])
	if !bytes.Contains(do(t, "GET", e.URL+"/v1/jobs/get?id="+id, nil).wantStatus(t, http.StatusOK).Body, []byte(`"id":"`+id+`"`)) {
		t.Errorf("get does not show the id as a string")
	}
	q := do(t, "GET", e.URL+"/v1/jobs/queue", nil).wantStatus(t, http.StatusOK).object(t)
	var queued []string
	for _, j := range q["jobs"].([]any) {
		queued = append(queued, jobID(t, j))
	}
	if diff := cmp.Diff([]string{id}, queued); diff != "" {
		t.Errorf("queue ids (-want +got):\n%s", diff)
	}

	// A stream opened while the job runs lists it in its "init".
	waitJob(t, e, id, "downloading")
	late := subscribe(t, e)
	init := late.next(t)
	var snap struct {
		Jobs []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal(init.data, &snap); init.typ != "init" || err != nil {
		t.Fatalf("init event %s %s: %v", init.typ, init.data, err)
	}
	var listed []string
	for _, j := range snap.Jobs {
		listed = append(listed, jobID(t, j))
	}
	if diff := cmp.Diff([]string{id}, listed); diff != "" {
		t.Errorf("init ids (-want +got):\n%s", diff)
	}
	late.close()

	openGate()
	seen := map[string]bool{}
	for !seen["removed"] {
		ev := events.next(t)
		if got := jobID(t, eventJob(t, ev)); got != id {
			t.Errorf("%s event for job %s, want %s", ev.typ, got, id)
		}
		seen[ev.typ] = true
	}
	if diff := cmp.Diff(map[string]bool{"added": true, "updated": true, "removed": true}, seen); diff != "" {
		t.Errorf("events seen (-want +got):\n%s", diff)
	}
}
