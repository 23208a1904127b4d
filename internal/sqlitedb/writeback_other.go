//go:build !linux

package sqlitedb

// walWriteback does nothing where there is no sync_file_range: the
// checkpoint's fsync writes the WAL.
type walWriteback struct{}

func openWALWriteback(string) *walWriteback { return nil }

func (*walWriteback) start() {}

func (*walWriteback) Close() error { return nil }
