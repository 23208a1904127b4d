package httpapi

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
)

// The bounds on what one request may carry, in one place. The decoder
// applies them to every field it reads, so no handler and no library call
// sees text the database or the file system cannot hold, and a bad field
// is a 400 naming it before anything changes. The package params bounds
// the request itself: its body size, its JSON depth and its number of
// values (params.MaxValues, which also bounds every ID list).
const (
	// maxText bounds a text field in characters unless textLimits says
	// otherwise: names, slugs, categories, content types, file names.
	maxText = 1_000
	// maxLongText bounds descriptions, comments and schemas.
	maxLongText = 100_000
	// maxLocation bounds URLs, locations and paths.
	maxLocation = 8_192
	// maxFilter bounds every text filter of a list (resources and
	// entities alike): SQLite refuses LIKE patterns past 50,000 bytes,
	// and a filter longer than any name is no use.
	maxFilter = 1_000
	// maxTerm bounds one MetaQuery or SortBy term, as package query does.
	maxTerm = 4_096
	// maxDimension bounds a width or height in pixels: past the side of
	// any image the decoders accept (JPEG stops at 65,535), far from
	// overflowing width × height.
	maxDimension = 1_000_000
)

// textLimits are the fields, lower-cased, whose bound is not maxText.
var textLimits = map[string]int{
	"description":      maxLongText,
	"comment":          maxLongText,
	"metaschema":       maxLongText,
	"url":              maxLocation,
	"originallocation": maxLocation,
	"localpath":        maxLocation,
	"pathname":         maxLocation,
	"metaquery":        maxTerm,
	"sortby":           maxTerm,
}

// textLimit is the bound of the field named key.
func textLimit(key string) int {
	if n, ok := textLimits[strings.ToLower(key)]; ok {
		return n
	}
	return maxText
}

// checkLen keeps an error when s, the value of field, is longer than
// limit characters.
func (d *decoder) checkLen(field, s string, limit int) {
	if len(s) > limit && utf8.RuneCountInString(s) > limit {
		d.keep(&params.Error{Field: field, Msg: "longer than " + strconv.Itoa(limit) + " characters"})
	}
}

// filter reads a text filter of a list, bounded by maxFilter.
func (d *decoder) filter(key string) string {
	s, _, err := d.v.String(key)
	d.keep(err)
	d.checkLen(key, s, maxFilter)
	return s
}

// checkDim keeps an error when n, the value of field, is not a possible
// width or height.
func (d *decoder) checkDim(field string, n int) {
	if n < 0 || n > maxDimension {
		d.keep(&params.Error{Field: field, Msg: "must be between 0 and " + strconv.Itoa(maxDimension) + " pixels, got " + strconv.Itoa(n)})
	}
}

// dim reads a width or height; absent is 0.
func (d *decoder) dim(key string) int {
	n := d.int(key)
	d.checkDim(key, n)
	return n
}

// optDim reads a width or height; nil when absent.
func (d *decoder) optDim(key string) *int {
	n := d.optInt(key)
	if n != nil {
		d.checkDim(key, *n)
	}
	return n
}

// checkFileName refuses the file name of an uploaded part, which becomes
// the resource's name, when a text field could not hold it.
func checkFileName(field, name string) error {
	d := &decoder{}
	switch {
	case strings.IndexByte(name, 0) >= 0:
		return &params.Error{Field: field, Msg: "file name contains a NUL character"}
	case !utf8.ValidString(name):
		return &params.Error{Field: field, Msg: "file name is not valid UTF-8"}
	}
	d.checkLen(field, name, maxText)
	return d.err
}
