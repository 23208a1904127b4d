//go:build !linux

package aferostore

import (
	"errors"
	"os"

	"github.com/spf13/afero"
)

// fdOf reports false: elsewhere than on Linux every Put syncs its own
// file.
func fdOf(afero.File) (int, bool) { return 0, false }

func syncData(map[int]struct{}) error { return errors.New("aferostore: syncData is Linux only") }

// openAnon returns nil: anonymous files are Linux's.
func (s *Store) openAnon() *os.File { return nil }

func (s *Store) openAnonIn(string) (*os.File, error) { return nil, nil }

func linkAnon(*os.File, string) error { return errors.New("aferostore: linkAnon is Linux only") }

// syncHostDir reports false: elsewhere than on Linux directories are
// synced through the afero.Fs.
func syncHostDir(string) bool { return false }
