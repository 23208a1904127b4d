package httpapi

import "testing"

func TestActiveContent(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8": true,
		"image/svg+xml":            true,
		"IMAGE/SVG+XML":            true,
		"application/xhtml+xml":    true,
		"application/rss+xml":      true,
		"text/javascript":          true,
		"image/png":                false,
		"text/plain":               false,
		"application/pdf":          false,
		"video/mp4":                false,
		"":                         false,
	} {
		if got := activeContent(ct); got != want {
			t.Errorf("activeContent(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestMounted(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/resources":     true,
		"/files/ab/cd":      true,
		"/resource/compare": true,
		"/healthz":          true,
		"/metrics":          true,
		"/metrics/x":        false,
		"/healthzz":         false,
		"/v1":               false,
		"/":                 false,
		"/resources":        false,
	} {
		if got := mounted(path); got != want {
			t.Errorf("mounted(%q) = %v, want %v", path, got, want)
		}
	}
}
