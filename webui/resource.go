package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/media/probe"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// resourceData is a resource's page.
type resourceData struct {
	R        *resources.Resource
	Kind     string // image, video, audio or other
	Src      string
	SrcSet   string
	Full     string // the file itself, for zoom and players
	Download string
	Meta     []kv
	EXIF     []kv
	Versions []versionRow
	Similar  []tile
	TagNames string
	Groups   string
	CanWrite bool
	CanBulk  bool
	// Newer and Older are the neighbours in the grid's default order, for
	// the arrow keys; 0 at either end.
	Newer, Older int64
}

type kv struct{ Key, Value string }

type versionRow struct {
	ID, Number int64
	Current    bool
	Size       int64
	Type       string
	Comment    string
	Created    string
	Dims       string
	Download   string
	Compare    string
}

// resource renders /ui/resource/{id}.
func (u *ui) resource(r *http.Request, v *view) (string, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", errs.E("", errs.Invalid, "the resource ID must be a positive number")
	}
	ctx := r.Context()
	res, err := u.Store.Get(ctx, id)
	if err != nil {
		return "", err
	}
	d := &resourceData{R: res, CanWrite: v.Me.CanWrite(), CanBulk: v.Me.CanDelete()}
	switch {
	case strings.HasPrefix(res.ContentType, "image/"):
		d.Kind = "image"
	case strings.HasPrefix(res.ContentType, "video/"):
		d.Kind = "video"
	case strings.HasPrefix(res.ContentType, "audio/"):
		d.Kind = "audio"
	default:
		d.Kind = "other"
	}
	d.Src, d.SrcSet = u.previewSet(ctx, id, 1024, previewWidths[3:])
	d.Full = u.sign(ctx, fmt.Sprintf("/v1/resource/view?id=%d", id))
	d.Download = d.Full
	var names, groups []string
	for _, t := range res.Tags {
		names = append(names, t.Name)
	}
	for _, g := range res.Groups {
		groups = append(groups, g.Name)
	}
	d.TagNames, d.Groups = strings.Join(names, ", "), strings.Join(groups, ", ")
	if len(res.Meta) > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(res.Meta, &m) == nil {
			for k, raw := range m {
				if k == probe.MetaKey {
					var facts map[string]any
					if json.Unmarshal(raw, &facts) == nil {
						for fk, fv := range facts {
							d.EXIF = append(d.EXIF, kv{fk, fmt.Sprint(fv)})
						}
					}
					continue
				}
				var s string
				if json.Unmarshal(raw, &s) != nil {
					s = string(raw)
				}
				d.Meta = append(d.Meta, kv{k, s})
			}
		}
		sort.Slice(d.Meta, func(i, j int) bool { return d.Meta[i].Key < d.Meta[j].Key })
		sort.Slice(d.EXIF, func(i, j int) bool { return d.EXIF[i].Key < d.EXIF[j].Key })
	}
	vs, err := u.Versions.List(ctx, id)
	if err != nil {
		return "", err
	}
	for _, ver := range vs {
		row := versionRow{ID: ver.ID, Number: int64(ver.VersionNumber), Size: ver.FileSize, Type: ver.ContentType,
			Comment: ver.Comment, Created: ver.CreatedAt.UTC().Format("2006-01-02 15:04"),
			Current:  res.CurrentVersionID != nil && *res.CurrentVersionID == ver.ID,
			Download: u.sign(ctx, fmt.Sprintf("/v1/resource/version/file?versionId=%d", ver.ID))}
		if ver.Width > 0 {
			row.Dims = fmt.Sprintf("%d×%d", ver.Width, ver.Height)
		}
		if !row.Current {
			row.Compare = fmt.Sprintf("/resource/compare?r1=%d&v1=%d", id, ver.VersionNumber)
		}
		d.Versions = append(d.Versions, row)
	}
	sort.Slice(d.Versions, func(i, j int) bool { return d.Versions[i].Number > d.Versions[j].Number })
	if d.Kind == "image" {
		sim, err := u.Store.Similar(ctx, id)
		if err != nil {
			return "", err
		}
		for i, s := range sim {
			if i == 12 {
				break
			}
			d.Similar = append(d.Similar, u.tileOf(ctx, s.Resource))
		}
	}
	if d.Newer, d.Older, err = u.neighbours(ctx, res); err != nil {
		return "", err
	}
	name := res.Name
	if name == "" {
		name = res.OriginalName
	}
	v.Title, v.Nav, v.Data = name, "grid", d
	return "resource.html", nil
}

// neighbours finds the resources just newer and just older than res in
// the grid's default order (created_at, then ID). Resources created in the
// same microsecond as res are skipped: a rare case, and the grid shows them.
// Each side looks within a day of res first, where a large library has its
// neighbours, and counts nothing; the two sides run at once.
func (u *ui) neighbours(ctx context.Context, res *resources.Resource) (newer, older int64, err error) {
	at := res.CreatedAt
	// side lists the first resource of f, first with *window set to
	// bound, then without it.
	side := func(f *query.Filter, window *time.Time, bound time.Time) (int64, error) {
		f.MaxResults, f.NoTotal = 1, true
		for _, w := range []time.Time{bound, {}} {
			*window = w
			p, err := u.Query.List(ctx, *f)
			if err != nil {
				return 0, err
			}
			if len(p.Resources) > 0 {
				return p.Resources[0].ID, nil
			}
		}
		return 0, nil
	}
	var olderErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		f := query.Filter{CreatedBefore: at}
		older, olderErr = side(&f, &f.CreatedAfter, at.Add(-24*time.Hour))
	}()
	f := query.Filter{CreatedAfter: at.Add(time.Microsecond), SortBy: []string{"created_at asc"}}
	newer, err = side(&f, &f.CreatedBefore, at.Add(24*time.Hour))
	<-done
	if err == nil {
		err = olderErr
	}
	return newer, older, err
}
