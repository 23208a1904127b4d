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
