// Package intake brings files in from URLs, through package fetch (the one
// HTTP client of the library), and stores them as resources: at once
// (CreateRemote, all or nothing) or as background downloads (Manager) while
// the client goes on with other work. Package resources keeps the rows and
// their rules (CreateFetched, EnsureOwnerGroup); the fetching is here, so
// that the domain package imports no HTTP client.
//
// Background jobs are rows of the download_jobs table, so they survive a
// restart: a download interrupted by a shutdown or a crash starts again when
// the Manager starts, from where it stopped when the origin serves ranges
// (the bytes received so far are kept in a partial file in Config.TempFs and
// the origin's ETag or Last-Modified guards against mixing two contents),
// from the start otherwise. At most Config.Concurrency jobs run at once; the
// queue of unfinished jobs is capped (ErrQueueFull); finished jobs stay for
// Config.Retention, then disappear.
package intake

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/resources"
)

// Status is where a job stands.
type Status string

// The statuses of a job. Completed, Failed and Cancelled are terminal.
const (
	Pending     Status = "pending"
	Downloading Status = "downloading"
	Processing  Status = "processing"
	Completed   Status = "completed"
	Failed      Status = "failed"
	Cancelled   Status = "cancelled"
	Paused      Status = "paused"
)

// Terminal reports whether a job in status s has finished.
func (s Status) Terminal() bool { return s == Completed || s == Failed || s == Cancelled }

// Defaults for the zero fields of Config.
const (
	DefaultConcurrency = 3
	DefaultQueueCap    = 1000
	DefaultRetention   = 24 * time.Hour
	// DefaultSource is the Source of jobs submitted without one; the
	// reference application reports it for every background download.
	DefaultSource = "download"
)

// Errors of the Manager, both of kind errs.Unavailable. Its other errors
// are of the kinds NotFound, Conflict and Invalid of package errs.
var (
	// ErrQueueFull: the queue of unfinished jobs has reached its cap.
	ErrQueueFull = errs.New(errs.Unavailable, "the download queue is full; try again later")
	// ErrClosed: the Manager has been closed (or not started).
	ErrClosed = errs.New(errs.Unavailable, "the download queue is not running")
)

// Job is the public view of a background download, as the API shows it.
// TotalSize and ProgressPercent are -1 while the size is unknown. The ID is
// a JSON string, as the reference application's job IDs are: its clients
// read it as one.
type Job struct {
	ID              int64      `json:"id,string"`
	URL             string     `json:"url"`
	Status          Status     `json:"status"`
	Progress        int64      `json:"progress"`
	TotalSize       int64      `json:"totalSize"`
	ProgressPercent float64    `json:"progressPercent"`
	Error           string     `json:"error"`
	ResourceID      *int64     `json:"resourceId"`
	CreatedAt       time.Time  `json:"createdAt"`
	StartedAt       *time.Time `json:"startedAt"`
	CompletedAt     *time.Time `json:"completedAt"`
	Source          string     `json:"source"`
}

func (j *Job) setPercent() {
	switch {
	case j.Status == Completed:
		j.ProgressPercent = 100
	case j.TotalSize > 0:
		p := float64(j.Progress) * 100 / float64(j.TotalSize)
		j.ProgressPercent = float64(int64(min(p, 100)*10)) / 10
	case j.TotalSize == 0:
		j.ProgressPercent = 0
	default:
		j.ProgressPercent = -1
	}
}

// Event is a change of the queue, as the events stream sends it.
type Event struct {
	// Type is "added", "updated" or "removed".
	Type string `json:"type"`
	Job  Job    `json:"job"`
}

// params is what a job was submitted with, stored as JSON.
type params struct {
	Input resources.RemoteInput `json:"input"`
}

func encodeParams(in resources.RemoteInput) (string, error) {
	b, err := json.Marshal(params{Input: in})
	return string(b), err
}

func decodeParams(s string) (resources.RemoteInput, error) {
	var p params
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return resources.RemoteInput{}, fmt.Errorf("intake: stored parameters: %w", err)
	}
	return p.Input, nil
}
