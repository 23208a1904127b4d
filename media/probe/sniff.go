// Package probe derives facts about a file from its bytes: its content type,
// a coarse category, a file extension for URLs and download names, and, for
// images, the width and height read from the header alone.
//
// Nothing here trusts a file name or a client-supplied Content-Type: every
// answer comes from the content. All functions are safe for concurrent use
// and never panic on hostile input; they read a bounded number of bytes.
package probe

import (
	"bytes"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"github.com/h2non/filetype"
	"github.com/h2non/filetype/types"
)

// HeadSize is how many leading bytes Sniff wants. It matches the read limit
// of the fallback detector, so passing more gains nothing.
const HeadSize = 3072

// OctetStream is the content type of bytes whose format is not recognised,
// and of empty input.
const OctetStream = "application/octet-stream"

// Content categories returned by Category.
const (
	CategoryImage    = "image"
	CategoryVideo    = "video"
	CategoryAudio    = "audio"
	CategoryDocument = "document"
	CategoryArchive  = "archive"
	CategoryOther    = "other"
)

// Sniff returns the MIME type detected from head, the first HeadSize bytes of
// a file (or the whole file when it is shorter). The answer is a bare,
// lower-case type without parameters, for example "image/png" or
// "text/plain" (never "text/plain; charset=utf-8").
//
// Magic numbers are matched with h2non/filetype first. When it does not know
// the format (text formats, SVG, AVIF, some HEIF brands, JSON, CSV, HTML...)
// or only answers "application/octet-stream", gabriel-vasile/mimetype is
// asked on the same bytes. SVG is reported as "image/svg+xml".
//
// Empty input has no content to identify, so it is reported as
// OctetStream ("application/octet-stream"), not as the "text/plain" that
// mimetype would answer.
func Sniff(head []byte) string {
	if len(head) == 0 {
		return OctetStream
	}
	if len(head) > HeadSize {
		head = head[:HeadSize]
	}
	if kind, err := filetype.Match(head); err == nil && kind != filetype.Unknown {
		ct := canonical(kind.MIME.Value)
		switch ct {
		case "", OctetStream:
			// Not an answer; ask mimetype.
		case "application/zip":
			// Zip is also the container of OpenDocument, EPUB, JAR, APK...
			// which filetype does not all tell apart.
			if m := mimetype.Detect(head); m != nil && !m.Is("application/zip") && descendsFrom(m, "application/zip") {
				return canonical(m.String())
			}
			return ct
		default:
			return ct
		}
	}
	ct := OctetStream
	if m := mimetype.Detect(head); m != nil && bareType(m.String()) != "" {
		ct = canonical(m.String())
	}
	switch ct {
	case "text/plain", "text/xml", "application/xml":
		// mimetype misses SVGs that start with a byte order mark, lack the
		// xmlns attribute or use a namespace prefix; a look at the root
		// element settles it.
		if _, ok := svgRoot(bytes.NewReader(head)); ok {
			return "image/svg+xml"
		}
	}
	return ct
}

// descendsFrom reports whether one of m's ancestors in mimetype's tree is
// the type ancestor.
func descendsFrom(m *mimetype.MIME, ancestor string) bool {
	for p := m.Parent(); p != nil; p = p.Parent() {
		if p.Is(ancestor) {
			return true
		}
	}
	return false
}

// bareType lower-cases a media type and strips its parameters
// ("Text/Plain; charset=utf-8" -> "text/plain").
func bareType(ct string) string {
	ct, _, _ = strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(ct))
}

// aliases maps non-canonical spellings that clients and other detectors use
// to the type Sniff reports.
var aliases = map[string]string{
	"image/jpg":         "image/jpeg",
	"image/pjpeg":       "image/jpeg",
	"image/x-png":       "image/png",
	"image/x-ms-bmp":    "image/bmp",
	"image/x-bmp":       "image/bmp",
	"image/tif":         "image/tiff",
	"image/x-tiff":      "image/tiff",
	"image/svg":         "image/svg+xml",
	"application/x-pdf": "application/pdf",
	"audio/x-flac":      "audio/flac",
	"audio/x-wav":       "audio/wav",
	"audio/wave":        "audio/wav",
}

// canonical returns the bare, lower-case, de-aliased form of ct.
func canonical(ct string) string {
	ct = bareType(ct)
	if a, ok := aliases[ct]; ok {
		return a
	}
	return ct
}

// extensions is the preferred extension for common types. Types not listed
// here are looked up in mimetype's and filetype's tables.
var extensions = map[string]string{
	"image/jpeg":         ".jpg",
	"image/png":          ".png",
	"image/gif":          ".gif",
	"image/webp":         ".webp",
	"image/bmp":          ".bmp",
	"image/tiff":         ".tif",
	"image/svg+xml":      ".svg",
	"image/avif":         ".avif",
	"image/heic":         ".heic",
	"image/heif":         ".heif",
	"application/pdf":    ".pdf",
	"text/plain":         ".txt",
	"text/html":          ".html",
	"text/csv":           ".csv",
	"text/markdown":      ".md",
	"application/json":   ".json",
	"application/xml":    ".xml",
	"text/xml":           ".xml",
	"application/zip":    ".zip",
	"application/gzip":   ".gz",
	"application/x-tar":  ".tar",
	"video/mp4":          ".mp4",
	"video/webm":         ".webm",
	"video/quicktime":    ".mov",
	"audio/mpeg":         ".mp3",
	"audio/ogg":          ".ogg",
	"audio/flac":         ".flac",
	"audio/wav":          ".wav",
	"application/msword": ".doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.ms-excel": ".xls",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.ms-powerpoint":                                             ".ppt",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/octet-stream":                                                  "",
}

// Extension returns a file extension with a leading dot for a content type
// (".jpg", ".png", ".pdf", ".txt", ".svg", ...), or "" when the type is
// unknown or has no usual extension. Parameters and case are ignored. It is
// meant for file URLs and download names; it does not consult the system's
// MIME tables, so its answer is the same on every machine.
func Extension(contentType string) string {
	ct := canonical(contentType)
	if ct == "" {
		return ""
	}
	if ext, ok := extensions[ct]; ok {
		return ext
	}
	if m := mimetype.Lookup(ct); m != nil {
		return m.Extension()
	}
	// filetype keys its table by extension and several extensions can share
	// a type, so pick the smallest for an answer that does not depend on map
	// iteration order.
	best := ""
	filetype.Types.Range(func(k, v any) bool {
		ext, _ := k.(string)
		kind, _ := v.(types.Type)
		if kind.MIME.Value == ct && ext != "" && (best == "" || ext < best) {
			best = ext
		}
		return true
	})
	if best != "" {
		return "." + strings.ToLower(best)
	}
	return ""
}

// imageTypes are the content types Dimensions understands.
var imageTypes = map[string]bool{
	"image/jpeg":    true,
	"image/png":     true,
	"image/gif":     true,
	"image/webp":    true,
	"image/bmp":     true,
	"image/tiff":    true,
	"image/svg+xml": true,
}

// IsImage reports whether Dimensions understands the content type: JPEG,
// PNG, GIF, WebP, BMP, TIFF and SVG. Other image types (AVIF, HEIF, PSD...)
// report false here although Category calls them images.
func IsImage(contentType string) bool {
	return imageTypes[canonical(contentType)]
}

// documentTypes are application/* types that Category calls documents.
var documentTypes = map[string]bool{
	"application/pdf":                         true,
	"application/rtf":                         true,
	"application/msword":                      true,
	"application/json":                        true,
	"application/xml":                         true,
	"application/epub+zip":                    true,
	"application/postscript":                  true,
	"application/x-ndjson":                    true,
	"application/vnd.ms-excel":                true,
	"application/vnd.ms-powerpoint":           true,
	"application/vnd.ms-outlook":              true,
	"application/vnd.visio":                   true,
	"application/x-mobipocket-ebook":          true,
	"application/vnd.apple.pages":             true,
	"application/vnd.apple.numbers":           true,
	"application/vnd.apple.keynote":           true,
	"application/vnd.ms-xpsdocument":          true,
	"application/oxps":                        true,
	"application/vnd.wordperfect":             true,
	"application/x-latex":                     true,
	"application/x-tex":                       true,
	"application/vnd.oasis.opendocument.text": true,
	"application/vnd.sun.xml.writer":          true,
	"application/vnd.sun.xml.calc":            true,
	"application/vnd.sun.xml.impress":         true,
}

// archiveTypes are the types Category calls archives.
var archiveTypes = map[string]bool{
	"application/zip":                       true,
	"application/x-tar":                     true,
	"application/gzip":                      true,
	"application/x-gzip":                    true,
	"application/x-bzip2":                   true,
	"application/x-xz":                      true,
	"application/zstd":                      true,
	"application/x-7z-compressed":           true,
	"application/vnd.rar":                   true,
	"application/x-rar-compressed":          true,
	"application/x-compress":                true,
	"application/x-lzip":                    true,
	"application/x-unix-archive":            true,
	"application/x-archive":                 true,
	"application/x-cpio":                    true,
	"application/vnd.ms-cab-compressed":     true,
	"application/x-iso9660-image":           true,
	"application/x-rpm":                     true,
	"application/vnd.debian.binary-package": true,
	"application/java-archive":              true,
	"application/x-java-archive":            true,
	"application/x-xar":                     true,
	"application/x-apple-diskimage":         true,
}

// Category returns a coarse label for a content type: CategoryImage,
// CategoryVideo, CategoryAudio, CategoryDocument (PDF, office formats, text
// of any kind, JSON, XML, e-books), CategoryArchive (zip, tar, compressors,
// disk images) or CategoryOther. Parameters and case are ignored.
func Category(contentType string) string {
	ct := canonical(contentType)
	top, sub, _ := strings.Cut(ct, "/")
	switch {
	case ct == "":
		return CategoryOther
	case top == "image":
		return CategoryImage
	case top == "video":
		return CategoryVideo
	case top == "audio":
		return CategoryAudio
	case top == "text":
		return CategoryDocument
	case archiveTypes[ct]:
		return CategoryArchive
	case top != "application":
		return CategoryOther
	case documentTypes[ct],
		strings.HasPrefix(sub, "vnd.openxmlformats-officedocument."),
		strings.HasPrefix(sub, "vnd.oasis.opendocument."),
		strings.HasPrefix(sub, "vnd.ms-word"),
		strings.HasPrefix(sub, "vnd.ms-excel"),
		strings.HasPrefix(sub, "vnd.ms-powerpoint"),
		strings.HasSuffix(sub, "+json"),
		strings.HasSuffix(sub, "+xml"):
		return CategoryDocument
	}
	return CategoryOther
}
