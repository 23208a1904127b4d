package intake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/intake"
	"github.com/stockroomhq/stockroom/resources"
)

// dsns keeps one PostgreSQL schema per data folder, so that a library
// opened again on a folder finds its database.
var dsns sync.Map

func dsnOf(tb testing.TB, dir string) string {
	if v, ok := dsns.Load(dir); ok {
		return v.(string)
	}
	dsn := dbtest.LibraryDSN(tb)
	dsns.Store(dir, dsn)
	return dsn
}

func open(tb testing.TB, dir string, cfg intake.Config) *stockroom.Library {
	tb.Helper()
	lib, err := stockroom.Open(context.Background(), stockroom.Options{
		DataDir:     dir,
		PostgresDSN: dsnOf(tb, dir),
		Fetcher:     &fetch.Fetcher{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Jobs:        cfg,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lib.Close() })
	return lib
}

func wait(tb testing.TB, m *intake.Manager, id int64, want intake.Status) intake.Job {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := m.Get(id)
		if err == nil && j.Status == want {
			return j
		}
		if time.Now().After(deadline) {
			tb.Fatalf("job %d: %+v, %v; want %s", id, j, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRetention: finished jobs disappear after the retention, from memory
// and from the database, with a "removed" event; unfinished ones stay.
func TestRetention(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("content of " + r.URL.Path))
	}))
	defer origin.Close()
	lib := open(t, t.TempDir(), intake.Config{Retention: 200 * time.Millisecond})
	m := lib.Jobs
	_, events, cancel := m.Subscribe()
	defer cancel()
	ctx := context.Background()
	js, err := m.Submit(ctx, []string{origin.URL + "/a"}, resources.RemoteInput{}, "")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, m, js[0].ID, intake.Completed)
	deadline := time.After(10 * time.Second)
	for removed := false; !removed; {
		select {
		case ev := <-events:
			removed = ev.Type == "removed" && ev.Job.ID == js[0].ID
		case <-deadline:
			t.Fatal("no removed event")
		}
	}
	if _, err := m.Get(js[0].ID); !errors.Is(err, resources.ErrNotFound) {
		t.Errorf("Get after retention: %v", err)
	}
	// The row goes right after the event.
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		n, err := lib.Store.DB().NewSelect().Table("download_jobs").Count(ctx)
		if err == nil && n == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%d rows left, %v", n, err)
		}
	}
}

// TestRestartKeepsQueue: paused and pending jobs stay as they were across a
// restart; a job left downloading is queued again; finished jobs stay
// queryable.
func TestRestartKeepsQueue(t *testing.T) {
	block := make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte("content of " + r.URL.Path))
	}))
	defer origin.Close()
	defer close(block)
	dir := t.TempDir()
	ctx := context.Background()
	lib := open(t, dir, intake.Config{Concurrency: 1})
	m := lib.Jobs
	done, err := m.Submit(ctx, []string{origin.URL + "/done"}, resources.RemoteInput{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, m, done[0].ID, intake.Completed)
	js, err := m.Submit(ctx, []string{origin.URL + "/block", origin.URL + "/p1", origin.URL + "/p2"}, resources.RemoteInput{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, m, js[0].ID, intake.Downloading)
	if _, err := m.Pause(ctx, js[2].ID); err != nil {
		t.Fatal(err)
	}
	lib.Close()

	lib = open(t, dir, intake.Config{Concurrency: 1})
	m = lib.Jobs
	if j, _ := m.Get(done[0].ID); j.Status != intake.Completed || j.ResourceID == nil || j.Source != "test" {
		t.Errorf("finished job after restart: %+v", j)
	}
	if j, _ := m.Get(js[2].ID); j.Status != intake.Paused {
		t.Errorf("paused job after restart: %+v", j)
	}
	// The blocked one is running again (downloading), p1 waits behind it.
	wait(t, m, js[0].ID, intake.Downloading)
	if j, _ := m.Get(js[1].ID); j.Status != intake.Pending {
		t.Errorf("queued job after restart: %+v", j)
	}
	if _, err := m.Cancel(ctx, js[0].ID); err != nil {
		t.Fatal(err)
	}
	wait(t, m, js[1].ID, intake.Completed)
	if _, err := m.Resume(ctx, js[2].ID); err != nil {
		t.Fatal(err)
	}
	wait(t, m, js[2].ID, intake.Completed)
	if _, err := m.Retry(ctx, js[2].ID); !errors.Is(err, resources.ErrConflict) {
		t.Errorf("Retry of a completed job: %v", err)
	}
	if len(m.List()) != 4 {
		t.Errorf("List = %+v", m.List())
	}
}

// TestJobJSON: a job's id is a JSON string, as the reference's job IDs are,
// and reads back from one.
func TestJobJSON(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	j := intake.Job{ID: 42, URL: "https://example.com/a", Status: intake.Pending, TotalSize: -1, ProgressPercent: -1,
		CreatedAt: created, Source: intake.DefaultSource}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"42","url":"https://example.com/a","status":"pending","progress":0,"totalSize":-1,"progressPercent":-1,` +
		`"error":"","resourceId":null,"createdAt":"2024-05-06T07:08:09Z","startedAt":null,"completedAt":null,"source":"download"}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("job JSON (-want +got):\n%s", diff)
	}
	var back intake.Job
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(j, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
