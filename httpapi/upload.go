package httpapi

import (
	"bufio"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/resources"
)

// maxTextPart bounds one non-file field of a multipart upload.
const maxTextPart = 1 << 20

// readTextPart reads a non-file field of a streamed multipart body, at most
// maxTextPart bytes and at most what is left of *budget, which it lowers.
func readTextPart(part *multipart.Part, budget *int64) (string, error) {
	limit := min(maxTextPart, *budget)
	b, err := io.ReadAll(io.LimitReader(clientReader{part}, limit+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > limit {
		return "", &params.Error{Field: part.FormName(), Msg: "field too large", TooLarge: true}
	}
	*budget -= int64(len(b))
	return string(b), nil
}

// uploadFileField is the multipart field that carries the files of an
// upload, as the spec names it; a file under any other name is refused.
const uploadFileField = "resource"

// upload creates resources from a multipart body. Files are streamed to the
// blob store part by part as they arrive; the rows are written in one
// transaction once the whole body, with fields that may follow the files,
// has been read. Any failure leaves no row, and Release removes the blobs
// nothing refers to.
func (a *api) upload(w http.ResponseWriter, r *http.Request) {
	release, ok := a.admitUpload(w)
	if !ok {
		return
	}
	defer release()
	ctx := r.Context()
	st := &stream{a: a, w: w, r: r}
	fail := st.fail
	mr, v, err := a.openMultipart(w, r, `send the files as multipart/form-data in the field "resource"`)
	if err != nil {
		fail(err)
		return
	}
	type stagedFile struct {
		up   *resources.Upload
		name string
	}
	var files []stagedFile
	defer func() {
		for _, f := range files {
			a.store.Release(ctx, f.up)
		}
	}()
	textBudget := a.maxBody
	var early params.Values // the body's fields before the first file
	for {
		part, err := mr.NextPart()
		if err == io.EOF { // the closing boundary (see addMultipartFields)
			st.read = true
			break
		}
		if err != nil {
			fail(&clientStreamError{err})
			return
		}
		if part.FileName() == "" {
			text, err := readTextPart(part, &textBudget)
			if err != nil {
				fail(err)
				return
			}
			v.Add(part.FormName(), text)
			if len(files) == 0 {
				early.Add(part.FormName(), text)
			}
			continue
		}
		if !strings.EqualFold(part.FormName(), uploadFileField) {
			fail(&params.Error{Field: uploadFileField, Msg: "unexpected file in the field " + strconv.Quote(part.FormName()) + `: send files in the field "resource"`})
			return
		}
		if len(files) == 0 {
			// A field of the body that is invalid stays invalid whatever
			// follows (later values add to it, the query cannot replace
			// it), so fail before storing the file rather than after.
			d := &decoder{v: &early}
			in := d.createInput()
			if d.err != nil {
				fail(d.err)
				return
			}
			// Nor store a file for an owner the principal may not write in.
			if in.OwnerID != nil {
				if _, err := a.ownerInScope(ctx, in.OwnerID, true); err != nil {
					fail(err)
					return
				}
			}
		}
		if err := checkFileName(part.FormName(), baseName(part.FileName())); err != nil {
			fail(err)
			return
		}
		up, err := a.store.Stage(ctx, clientReader{part})
		if err != nil {
			fail(err)
			return
		}
		files = append(files, stagedFile{up: up, name: baseName(part.FileName())})
	}
	if len(files) == 0 {
		fail(errs.E("", errs.Invalid, "no file given: send one or more files in the field \"resource\""))
		return
	}
	d := &decoder{v: v}
	in := d.createInput()
	if d.err != nil {
		a.fail(w, r, d.err)
		return
	}
	if in.OwnerID, err = a.ownerInScope(ctx, in.OwnerID, true); err != nil {
		a.fail(w, r, err)
		return
	}
	items := make([]resources.NewResource, len(files))
	for i, f := range files {
		item := resources.NewResource{Upload: f.up, CreateInput: in}
		if item.OriginalName == "" {
			item.OriginalName = f.name
		}
		if item.Name == "" {
			item.Name = f.name
		}
		items[i] = item
	}
	created, err := a.store.CreateMany(ctx, items)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeCreated(w, created)
}

// writeCreated answers with the resources a request created: one object
// for one, an array for several, as the spec says.
func writeCreated(w http.ResponseWriter, created []*resources.Resource) {
	if len(created) == 1 {
		writeJSON(w, http.StatusOK, created[0])
		return
	}
	writeJSON(w, http.StatusOK, created)
}

// stream answers a streaming upload. A request refused before its body
// has been read closes the connection: the server then answers at once
// instead of first reading (and, with Expect: 100-continue, asking for)
// the body.
type stream struct {
	a    *api
	w    http.ResponseWriter
	r    *http.Request
	read bool // the whole body has been read
}

func (s *stream) fail(err error) {
	if !s.read {
		s.w.Header().Set("Connection", "close")
	}
	s.a.fail(s.w, s.r, err)
}

// openMultipart checks that r carries a multipart body within the upload
// bound, and returns a reader of its parts and the query's parameters. how
// tells a client that sent something else what to send.
func (a *api) openMultipart(w http.ResponseWriter, r *http.Request, how string) (*multipart.Reader, *params.Values, error) {
	mediaType, mtParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		return nil, nil, &params.Error{Msg: how}
	}
	if r.ContentLength > a.maxUp {
		return nil, nil, &http.MaxBytesError{Limit: a.maxUp}
	}
	boundary := mtParams["boundary"]
	if boundary == "" {
		return nil, nil, &params.Error{Msg: "malformed multipart body: no boundary in the Content-Type"}
	}
	v, err := params.Parse(r, a.maxBody)
	if err != nil {
		return nil, nil, err
	}
	// r.Body itself stays as it is, so that the server still knows how
	// much of it is left unread when the handler returns.
	body := http.MaxBytesReader(w, r.Body, a.maxUp)
	// multipart reads through a buffer of 4 KiB, one read(2) each; it
	// takes a larger bufio.Reader as its own.
	return multipart.NewReader(bufio.NewReaderSize(body, bodyBufferSize(r.ContentLength)), boundary), v, nil
}

// bodyBufferSize is the buffer for reading an upload of n bytes (-1 when
// unknown): the whole body when small, at most 256 KiB for large ones.
func bodyBufferSize(n int64) int {
	const most = 256 << 10
	if n < 0 || n > most {
		return most
	}
	return max(int(n), 4096)
}

// baseName keeps the last element of a client's file name, whichever
// separator its system uses.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSpace(name)
}
