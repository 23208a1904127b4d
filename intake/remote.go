package intake

import (
	"context"
	"fmt"
	"strings"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/resources"
)

// SplitURLs splits the URL field of a remote request: one URL per line,
// blank lines ignored.
func SplitURLs(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// CheckRemote validates in and the URLs without fetching anything: the
// URLs must be http or https, Meta valid, and the referenced owner, tags,
// groups, notes, category and series must exist. Submitting background
// downloads uses it to refuse bad input at once.
func CheckRemote(ctx context.Context, s *resources.Store, urls []string, in resources.RemoteInput) error {
	const op = "intake.CheckRemote"
	if len(urls) == 0 {
		return errs.E(op, errs.Invalid, "URL is required")
	}
	for _, u := range urls {
		if _, err := fetch.CheckURL(u); err != nil {
			return errs.Wrap(op, errs.Invalid, err)
		}
	}
	if err := s.CheckRemoteInput(ctx, in); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// StageURL fetches rawURL with f and stages its content in s. Release the
// Upload when done with it.
func StageURL(ctx context.Context, s *resources.Store, f *fetch.Fetcher, rawURL string) (*resources.RemoteFile, error) {
	u, err := fetch.CheckURL(rawURL)
	if err != nil {
		return nil, errs.Wrap("intake.StageURL", errs.Invalid, err)
	}
	resp, err := f.Get(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("intake.StageURL: %w", err)
	}
	defer resp.Body.Close()
	up, err := s.Stage(ctx, resp.Body)
	if err != nil {
		return nil, fmt.Errorf("intake.StageURL: %w", err)
	}
	return &resources.RemoteFile{Upload: up, URL: strings.TrimSpace(rawURL), Name: fetch.NameFromURL(u)}, nil
}

// CreateRemote fetches every URL with f and creates one resource for each,
// all in one transaction together with the owner group when in names one:
// either every URL becomes a resource or nothing is stored. Names follow
// in.Name, then in.FileName, then the last element of the URL's path; the
// OriginalLocation of each is its URL.
func CreateRemote(ctx context.Context, s *resources.Store, f *fetch.Fetcher, urls []string, in resources.RemoteInput) ([]*resources.Resource, error) {
	const op = "intake.CreateRemote"
	if err := CheckRemote(ctx, s, urls, in); err != nil {
		return nil, err
	}
	files := make([]*resources.RemoteFile, 0, len(urls))
	defer func() {
		for _, rf := range files {
			s.Release(ctx, rf.Upload)
		}
	}()
	for _, u := range urls {
		rf, err := StageURL(ctx, s, f, u)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		files = append(files, rf)
	}
	return s.CreateFetched(ctx, files, in)
}
