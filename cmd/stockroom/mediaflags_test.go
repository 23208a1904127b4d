package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/mediasvc"
)

// ignoreMedia leaves the media flags out of the serveConfig comparisons of
// serve_test.go; the tests below check them.
var ignoreMedia = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "media"
}, cmp.Ignore())

var cmpMedia = cmp.AllowUnexported(mediaFlags{})

func TestMediaFlags(t *testing.T) {
	defaults := mediaFlags{similarityThreshold: 10, maxImagePixels: 100_000_000, previewConcurrency: 0}
	if diff := cmp.Diff(defaults, parseOK(t, nil, nil).media, cmpMedia); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	env := map[string]string{"HASH_SIMILARITY_THRESHOLD": "6", "MAX_IMAGE_PIXELS": "5000000", "PREVIEW_CONCURRENCY": "3"}
	fromEnv := mediaFlags{similarityThreshold: 6, maxImagePixels: 5_000_000, previewConcurrency: 3}
	if diff := cmp.Diff(fromEnv, parseOK(t, nil, env).media, cmpMedia); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	args := []string{"-hash-similarity-threshold", "0", "-max-image-pixels", "1000", "-preview-concurrency", "1"}
	fromFlags := mediaFlags{similarityThreshold: 0, maxImagePixels: 1000, previewConcurrency: 1}
	if diff := cmp.Diff(fromFlags, parseOK(t, args, env).media, cmpMedia); diff != "" {
		t.Errorf("flags over the environment (-want +got):\n%s", diff)
	}

	var opts stockroom.Options
	fromFlags.apply(&opts, "/usr/bin/ffmpeg")
	want := stockroom.Options{
		Media:    mediasvc.Config{MaxPixels: 1000, SimilarityThreshold: -1},
		Previews: stockroom.PreviewOptions{Concurrency: 1, FFmpegPath: "/usr/bin/ffmpeg"},
	}
	if diff := cmp.Diff(want, opts, cmp.AllowUnexported(stockroom.Options{})); diff != "" {
		t.Errorf("apply (-want +got):\n%s", diff)
	}
}

func TestMediaFlagsRefused(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"threshold too high", []string{"-hash-similarity-threshold", "33"}, nil, "hash-similarity-threshold"},
		{"negative threshold", []string{"-hash-similarity-threshold", "-1"}, nil, "hash-similarity-threshold"},
		{"zero pixels", []string{"-max-image-pixels", "0"}, nil, "max-image-pixels"},
		{"negative concurrency", []string{"-preview-concurrency", "-2"}, nil, "preview-concurrency"},
		{"bad threshold variable", nil, map[string]string{"HASH_SIMILARITY_THRESHOLD": "ten"}, "HASH_SIMILARITY_THRESHOLD"},
		{"bad pixels variable", nil, map[string]string{"MAX_IMAGE_PIXELS": "-5"}, "MAX_IMAGE_PIXELS"},
		{"bad concurrency variable", nil, map[string]string{"PREVIEW_CONCURRENCY": "x"}, "PREVIEW_CONCURRENCY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&serveCommand{usageOut: io.Discard}).parse(tt.args, fakeEnv(tt.env))
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse: %v, want a usage error about %s", err, tt.want)
			}
		})
	}
}
