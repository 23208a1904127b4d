package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/resources"
)

// ---- Into a data folder

// localTarget imports into a data folder through the library: workers
// stream files into the blob store, one goroutine commits them in batches.
type localTarget struct {
	lib    *stockroom.Library
	in     resources.CreateInput
	staged chan stagedFile
	wg     sync.WaitGroup
}

type stagedFile struct {
	up   *resources.Upload
	f    importFile
	done func(outcome, error)
}

// importBatch bounds the files committed in one transaction.
const importBatch = 64

func openLocalTarget(ctx context.Context, cfg *importConfig) (*localTarget, error) {
	lib, err := stockroom.Open(ctx, stockroom.Options{
		DataDir:     cfg.dataDir,
		DBPath:      dsnPath(cfg.dbDSN),
		FilesDir:    cfg.fileSavePath,
		DisableJobs: true,
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, err
	}
	return &localTarget{lib: lib, staged: make(chan stagedFile, importBatch)}, nil
}

func (t *localTarget) prepare(ctx context.Context, cfg *importConfig) error {
	for _, name := range cfg.tags {
		tag, err := t.lib.Store.SaveTag(ctx, resources.TagInput{Name: &name})
		if err != nil {
			return fmt.Errorf("tag %q: %w", name, err)
		}
		t.in.Tags = append(t.in.Tags, tag.ID)
	}
	if cfg.owner != "" {
		id, err := t.lib.Store.EnsureOwnerGroup(ctx, resources.OwnerGroup{Name: cfg.owner})
		if err != nil {
			return fmt.Errorf("owner %q: %w", cfg.owner, err)
		}
		t.in.OwnerID = &id
	}
	t.in.Meta = cfg.meta
	t.wg.Add(1)
	go t.commitLoop()
	return nil
}

func (t *localTarget) store(ctx context.Context, f importFile, done func(outcome, error)) {
	file, err := os.Open(f.path)
	if err != nil {
		done(failed, err)
		return
	}
	up, err := t.lib.Store.Stage(ctx, file)
	file.Close()
	if err != nil {
		done(failed, err)
		return
	}
	t.staged <- stagedFile{up: up, f: f, done: done}
}

// commitLoop commits what the workers staged, a batch at a time: as many as
// are waiting, up to importBatch.
func (t *localTarget) commitLoop() {
	defer t.wg.Done()
	for first := range t.staged {
		batch := []stagedFile{first}
	more:
		for len(batch) < importBatch {
			select {
			case s, ok := <-t.staged:
				if !ok {
					break more
				}
				batch = append(batch, s)
			default:
				break more
			}
		}
		t.commit(batch)
	}
}

func (t *localTarget) commit(batch []stagedFile) {
	ctx := context.Background()
	items := make([]resources.NewResource, len(batch))
	for i, s := range batch {
		in := t.in
		name := filepath.Base(s.f.path)
		in.Name, in.OriginalName, in.OriginalLocation = name, name, s.f.path
		items[i] = resources.NewResource{Upload: s.up, CreateInput: in}
	}
	results, err := t.lib.Store.ImportMany(ctx, items)
	for _, s := range batch {
		t.lib.Store.Release(ctx, s.up)
	}
	for i, s := range batch {
		switch {
		case err != nil:
			s.done(failed, err)
		case results[i].ID != 0:
			s.done(imported, nil)
		default:
			s.done(skipped, nil)
		}
	}
}

func (t *localTarget) flush(context.Context) {
	close(t.staged)
	t.wg.Wait()
}

func (t *localTarget) close() error { return t.lib.Close() }

// ---- Into a running server

// serverTarget imports over the /v1 API: each file is hashed first, skipped
// when the server has that content, uploaded otherwise.
type serverTarget struct {
	base   string
	client *http.Client
	tags   []int64
	owner  int64
	meta   resources.Meta
}

func newServerTarget(base string) *serverTarget {
	return &serverTarget{base: strings.TrimRight(base, "/"), client: &http.Client{Timeout: 0}}
}

// call sends a JSON request and decodes a JSON answer into out.
func (t *serverTarget) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, answer(resp, out)
}

// answer decodes a 2xx answer into out, or returns the server's error.
func answer(resp *http.Response, out any) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("server answered %d: %s", resp.StatusCode, e.Error)
		}
		return fmt.Errorf("server answered %s", resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

func (t *serverTarget) prepare(ctx context.Context, cfg *importConfig) error {
	for _, name := range cfg.tags {
		var tag struct{ ID int64 }
		if _, err := t.call(ctx, "POST", "/v1/tag", map[string]string{"Name": name}, &tag); err != nil {
			return fmt.Errorf("tag %q: %w", name, err)
		}
		t.tags = append(t.tags, tag.ID)
	}
	if cfg.owner != "" {
		var groups []struct {
			ID   int64
			Name string
		}
		if _, err := t.call(ctx, "GET", "/v1/groups?MaxResults=1000&Name="+url.QueryEscape(cfg.owner), nil, &groups); err != nil {
			return fmt.Errorf("owner %q: %w", cfg.owner, err)
		}
		for _, g := range groups {
			if g.Name == cfg.owner && (t.owner == 0 || g.ID < t.owner) {
				t.owner = g.ID
			}
		}
		if t.owner == 0 {
			var g struct{ ID int64 }
			if _, err := t.call(ctx, "POST", "/v1/group", map[string]string{"Name": cfg.owner}, &g); err != nil {
				return fmt.Errorf("owner %q: %w", cfg.owner, err)
			}
			t.owner = g.ID
		}
	}
	t.meta = cfg.meta
	return nil
}

func (t *serverTarget) store(ctx context.Context, f importFile, done func(outcome, error)) {
	o, err := t.storeOne(ctx, f)
	done(o, err)
}

func (t *serverTarget) storeOne(ctx context.Context, f importFile) (outcome, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return failed, err
	}
	defer file.Close()
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return failed, err
	}
	var found []struct{ ID int64 }
	q := "/v1/resources?MaxResults=1&Hash=" + hex.EncodeToString(h.Sum(nil))
	if _, err := t.call(ctx, "GET", q, nil, &found); err != nil {
		return failed, err
	}
	if len(found) > 0 {
		return skipped, nil
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return failed, err
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(t.writeForm(mw, f, file))
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", t.base+"/v1/resource", pr)
	if err != nil {
		pr.Close()
		return failed, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return failed, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusConflict {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return skipped, nil
	}
	if err := answer(resp, nil); err != nil {
		return failed, err
	}
	return imported, nil
}

// writeForm writes the fields, then the file, as POST /v1/resource wants.
func (t *serverTarget) writeForm(mw *multipart.Writer, f importFile, file io.Reader) error {
	fields := [][2]string{{"OriginalLocation", f.path}}
	for _, id := range t.tags {
		fields = append(fields, [2]string{"Tags", strconv.FormatInt(id, 10)})
	}
	if t.owner != 0 {
		fields = append(fields, [2]string{"OwnerId", strconv.FormatInt(t.owner, 10)})
	}
	if len(t.meta) > 0 {
		fields = append(fields, [2]string{"Meta", string(t.meta)})
	}
	for _, kv := range fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return err
		}
	}
	part, err := mw.CreateFormFile("resource", filepath.Base(f.path))
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, file); err != nil {
		return err
	}
	return mw.Close()
}

func (t *serverTarget) flush(context.Context) {}

func (t *serverTarget) close() error {
	t.client.CloseIdleConnections()
	return nil
}

var (
	_ importTarget = (*localTarget)(nil)
	_ importTarget = (*serverTarget)(nil)
)
