package main

import (
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom"
)

// ignoreOps leaves the ops flags to the tests below.
var ignoreOps = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "ops"
}, cmp.Ignore())

func TestOpsFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want opsFlags
		opts stockroom.Options
	}{
		{nil, nil, opsFlags{10 * time.Minute, time.Hour, "normal", "pack"}, stockroom.Options{SweepInterval: 10 * time.Minute, SweepGrace: time.Hour}},
		{nil, map[string]string{"GC_INTERVAL": "1m", "GC_GRACE": "0s", "SYNC": "full", "SMALL_BLOBS": "files"}, opsFlags{time.Minute, 0, "full", "files"}, stockroom.Options{SweepInterval: time.Minute, SweepGrace: -1, SyncFull: true, SmallBlobsAsFiles: true}},
		{[]string{"-gc-interval", "0", "-sync", "normal", "-small-blobs", "pack"}, map[string]string{"SYNC": "full", "SMALL_BLOBS": "files"}, opsFlags{0, time.Hour, "normal", "pack"}, stockroom.Options{SweepGrace: time.Hour}},
	} {
		got := parseOK(t, tc.args, tc.env).ops
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(opsFlags{})); diff != "" {
			t.Errorf("%q %v (-want +got):\n%s", tc.args, tc.env, diff)
		}
		var opts stockroom.Options
		got.apply(&opts)
		if diff := cmp.Diff(tc.opts, opts, cmp.AllowUnexported(stockroom.Options{})); diff != "" {
			t.Errorf("%q %v options (-want +got):\n%s", tc.args, tc.env, diff)
		}
	}
	for _, bad := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"-sync", "always"}, nil},
		{[]string{"-small-blobs", "sqlite"}, nil},
		{nil, map[string]string{"SYNC": "sometimes"}},
		{nil, map[string]string{"GC_INTERVAL": "soon"}},
		{[]string{"-gc-grace", "-1s"}, nil},
	} {
		if _, err := (&serveCommand{usageOut: io.Discard}).parse(bad.args, fakeEnv(bad.env)); err == nil {
			t.Errorf("%q %v: accepted", bad.args, bad.env)
		}
	}
}
