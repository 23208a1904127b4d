package httpapi

import (
	"context"
	"net/http"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/intake"
	"github.com/stockroomhq/stockroom/resources"
)

// routeIntake registers the endpoints of remote URLs, background downloads and local files.
func (a *api) routeIntake(r *router) {
	r.handle("POST", "/v1/resource/remote", a.remote)
	r.handle("POST", "/v1/resource/local", a.local)
	r.handle("POST", "/v1/jobs/download/submit", a.submitJobs)
	r.handle("POST", "/v1/download/submit", a.submitJobs)
	r.handle("GET", "/v1/jobs/get", a.getJob)
	r.handle("GET", "/v1/jobs/queue", a.jobQueue)
	r.handle("POST", "/v1/jobs/cancel", a.jobAction((*intake.Manager).Cancel))
	r.handle("POST", "/v1/jobs/pause", a.jobAction((*intake.Manager).Pause))
	r.handle("POST", "/v1/jobs/resume", a.jobAction((*intake.Manager).Resume))
	r.handle("POST", "/v1/jobs/retry", a.jobAction((*intake.Manager).Retry))
	r.handle("GET", "/v1/jobs/events", a.jobEvents)
}

// defaultFetcher serves handlers configured without a Fetcher: fetch's
// defaults, which reach no private or special address.
var defaultFetcher = &fetch.Fetcher{}

// errNoJobs answers the job endpoints of a server without a job manager.
var errNoJobs = errs.E("", errs.Unavailable, "background downloads are not enabled on this server")

// remoteInput reads the fields of a remote upload and its URLs.
func (d *decoder) remoteInput() ([]string, resources.RemoteInput) {
	var urls []string
	for _, s := range d.strs("URL", "url", "URLs") {
		urls = append(urls, intake.SplitURLs(s)...)
	}
	in := resources.RemoteInput{
		CreateInput: d.createInput(),
		FileName:    d.str("FileName"),
		Group: resources.OwnerGroup{
			Name:         d.str("GroupName"),
			CategoryName: d.str("GroupCategoryName"),
			Meta:         d.meta("GroupMeta"),
		},
	}
	if d.err == nil && len(urls) == 0 {
		d.keep(missing("URL"))
	}
	return urls, in
}

// remote creates resources from URLs, or queues them with background=true.
func (a *api) remote(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	background := d.bool("background")
	urls, in := d.remoteInput()
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if background {
		a.queue(w, r, urls, in)
		return
	}
	release, ok := a.admitUpload(w)
	if !ok {
		return
	}
	defer release()
	fetcher := a.fetcher
	if fetcher == nil {
		fetcher = defaultFetcher
	}
	created, err := intake.CreateRemote(r.Context(), a.store, fetcher, urls, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeCreated(w, created)
}

type queuedBody struct {
	Queued bool         `json:"queued"`
	Jobs   []intake.Job `json:"jobs"`
}

type jobsBody struct {
	Jobs []intake.Job `json:"jobs"`
}

func (a *api) submitJobs(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	urls, in := d.remoteInput()
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	a.queue(w, r, urls, in)
}

// queue submits background downloads. Every route gives them the default
// source, "download", as the reference application reports for all of
// them, ?background=true included.
func (a *api) queue(w http.ResponseWriter, r *http.Request, urls []string, in resources.RemoteInput) {
	if a.jobs == nil {
		a.fail(w, r, errNoJobs)
		return
	}
	queued, err := a.jobs.Submit(r.Context(), urls, in, "")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, queuedBody{Queued: true, Jobs: queued})
}

// jobsReady answers errNoJobs when there is no job manager.
func (a *api) jobsReady(w http.ResponseWriter, r *http.Request) bool {
	if a.jobs == nil {
		a.fail(w, r, errNoJobs)
		return false
	}
	return true
}

func (a *api) getJob(w http.ResponseWriter, r *http.Request) {
	if !a.jobsReady(w, r) {
		return
	}
	id, ok := a.decodeID(w, r, "id", "jobId")
	if !ok {
		return
	}
	j, err := a.jobs.Get(id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (a *api) jobQueue(w http.ResponseWriter, r *http.Request) {
	if !a.jobsReady(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, jobsBody{Jobs: a.jobs.List()})
}

// jobAction serves cancel, pause, resume and retry: the job's ID in, the
// job as it then is out.
func (a *api) jobAction(act func(*intake.Manager, context.Context, int64) (intake.Job, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.jobsReady(w, r) {
			return
		}
		id, ok := a.decodeID(w, r, "id", "jobId")
		if !ok {
			return
		}
		j, err := act(a.jobs, r.Context(), id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, j)
	}
}

// local references a file of an alternative filesystem as a resource.
func (a *api) local(w http.ResponseWriter, r *http.Request) {
	d, err := a.decode(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	in := resources.LocalInput{
		PathName:    d.str("PathName"),
		LocalPath:   d.str("LocalPath"),
		CreateInput: d.createInput(),
	}
	if d.err == nil && in.PathName == "" {
		d.keep(missing("PathName"))
	}
	if d.err == nil && in.LocalPath == "" {
		d.keep(missing("LocalPath"))
	}
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	res, _, err := a.store.AddLocal(r.Context(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
