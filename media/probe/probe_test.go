package probe

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// testImage returns a small image with some variation in it.
func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 11), 90, 255})
		}
	}
	return img
}

func encodePNG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(w, h), &jpeg.Options{Quality: 80}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func encodeGIF(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, testImage(w, h), nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func encodeBMP(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, testImage(w, h)); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func encodeTIFF(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, testImage(w, h), &tiff.Options{Compression: tiff.Deflate}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// vp8lHeader hand-builds the smallest WebP container holding a lossless
// (VP8L) bitstream header: enough for DecodeConfig, which reads no pixels.
func vp8lHeader(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14 // alpha hint 0, version 0
	payload := []byte{0x2f, byte(bits), byte(bits >> 8), byte(bits >> 16), byte(bits >> 24)}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+len(payload)+len(payload)%2))
	b.WriteString("WEBPVP8L")
	binary.Write(&b, binary.LittleEndian, uint32(len(payload)))
	b.Write(payload)
	if len(payload)%2 == 1 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

// pngHeader builds a PNG signature and a valid IHDR chunk claiming w x h
// RGBA pixels, and nothing else.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := make([]byte, 0, 17)
	chunk = append(chunk, "IHDR"...)
	chunk = binary.BigEndian.AppendUint32(chunk, w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 6, 0, 0, 0) // 8-bit RGBA, deflate, no filter, no interlace
	binary.Write(&b, binary.BigEndian, uint32(len(chunk)-4))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// withEXIF returns jpg with APP segments inserted right after SOI, before
// the frame header: an EXIF APP1 of about 60 KiB and extra APP2 (ICC-style)
// segments, n in all, as cameras write them.
func withEXIF(tb testing.TB, jpg []byte, n int) []byte {
	tb.Helper()
	if !bytes.HasPrefix(jpg, []byte{0xff, 0xd8}) {
		tb.Fatal("not a JPEG")
	}
	var b bytes.Buffer
	b.Write(jpg[:2])
	for i := range n {
		marker := byte(0xe2)
		var body []byte
		if i == 0 {
			marker = 0xe1
			body = append([]byte("Exif\x00\x00II*\x00\x08\x00\x00\x00"), make([]byte, 60000)...)
		} else {
			body = append([]byte("ICC_PROFILE\x00"), make([]byte, 65000)...)
		}
		b.Write([]byte{0xff, marker})
		binary.Write(&b, binary.BigEndian, uint16(len(body)+2))
		b.Write(body)
	}
	b.Write(jpg[2:])
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"empty", nil, "application/octet-stream"},
		{"png", encodePNG(t, 3, 2), "image/png"},
		{"jpeg", encodeJPEG(t, 3, 2), "image/jpeg"},
		{"jpeg with exif", withEXIF(t, encodeJPEG(t, 3, 2), 1), "image/jpeg"},
		{"gif", encodeGIF(t, 3, 2), "image/gif"},
		{"bmp", encodeBMP(t, 3, 2), "image/bmp"},
		{"tiff", encodeTIFF(t, 3, 2), "image/tiff"},
		{"webp lossless", readTestdata(t, "lossless_7x5.webp"), "image/webp"},
		{"webp lossy", readTestdata(t, "lossy_9x6.webp"), "image/webp"},
		{"webp hand-built", vp8lHeader(3, 2), "image/webp"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`), "image/svg+xml"},
		{"svg with prolog", []byte("<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 4 4\"/>"), "image/svg+xml"},
		{"svg with byte order mark", []byte("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"7\" height=\"8\"/>"), "image/svg+xml"},
		{"svg without xmlns", []byte(`<svg width="7" height="8"><g/></svg>`), "image/svg+xml"},
		{"svg with namespace prefix", []byte(`<svg:svg xmlns:svg="http://www.w3.org/2000/svg" width="5" height="6"/>`), "image/svg+xml"},
		{"xml that is not svg", []byte("<?xml version=\"1.0\"?>\n<note><to>you</to></note>"), "text/xml"},
		{"text mentioning svg", []byte("an <svg> tag is how you start"), "text/plain"},
		{"text", []byte("hello, world\nsecond line\n"), "text/plain"},
		{"utf-8 text", []byte("grüße aus köln\n"), "text/plain"},
		{"json", []byte(`{"name": "stockroom", "tags": [1, 2, 3]}`), "application/json"},
		{"html", []byte("<!DOCTYPE html><html><head><title>x</title></head><body></body></html>"), "text/html"},
		{"csv", []byte("a,b,c\n1,2,3\n4,5,6\n"), "text/csv"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), "application/pdf"},
		{"zip", zipOf(t, zipEntry{"a.txt", "hello", false}), "application/zip"},
		{"docx", zipOf(t, zipEntry{"[Content_Types].xml", "<Types/>", false}, zipEntry{"_rels/.rels", "<Relationships/>", false}, zipEntry{"word/document.xml", "<w:document/>", false}), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"odt", zipOf(t, zipEntry{"mimetype", "application/vnd.oasis.opendocument.text", true}, zipEntry{"content.xml", "<office:document-content/>", false}), "application/vnd.oasis.opendocument.text"},
		{"epub", zipOf(t, zipEntry{"mimetype", "application/epub+zip", true}, zipEntry{"META-INF/container.xml", "<container/>", false}), "application/epub+zip"},
		{"binary noise", []byte{0x00, 0x01, 0x02, 0xfe, 0xff, 0x00, 0x10, 0x80}, "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.head); got != tt.want {
				t.Errorf("Sniff() = %q, want %q", got, tt.want)
			}
		})
	}
}

type zipEntry struct {
	name, content string
	stored        bool
}

func zipOf(tb testing.TB, entries ...zipEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.stored {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			tb.Fatal(err)
		}
		io.WriteString(w, e.content)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestSniffOnlyLooksAtHead(t *testing.T) {
	// A long text whose tail would look like something else: only HeadSize
	// bytes count, and passing more than that is allowed.
	data := append(bytes.Repeat([]byte("plain words "), 1000), encodePNG(t, 2, 2)...)
	if got := Sniff(data); got != "text/plain" {
		t.Errorf("Sniff(long text) = %q, want text/plain", got)
	}
	if got := Sniff(data[:HeadSize]); got != "text/plain" {
		t.Errorf("Sniff(head) = %q, want text/plain", got)
	}
}

func TestDimensions(t *testing.T) {
	tests := []struct {
		name          string
		data          []byte
		contentType   string
		wantW, wantH  int
		wantOK        bool
		skipSniffTest bool
	}{
		{name: "png", data: encodePNG(t, 31, 17), contentType: "image/png", wantW: 31, wantH: 17, wantOK: true},
		{name: "jpeg", data: encodeJPEG(t, 40, 25), contentType: "image/jpeg", wantW: 40, wantH: 25, wantOK: true},
		{name: "jpeg exif before SOF", data: withEXIF(t, encodeJPEG(t, 33, 21), 1), contentType: "image/jpeg", wantW: 33, wantH: 21, wantOK: true},
		{name: "jpeg 1 MiB of metadata before SOF", data: withEXIF(t, encodeJPEG(t, 12, 34), 16), contentType: "image/jpeg", wantW: 12, wantH: 34, wantOK: true},
		{name: "gif", data: encodeGIF(t, 9, 4), contentType: "image/gif", wantW: 9, wantH: 4, wantOK: true},
		{name: "bmp", data: encodeBMP(t, 13, 6), contentType: "image/bmp", wantW: 13, wantH: 6, wantOK: true},
		{name: "tiff", data: encodeTIFF(t, 21, 8), contentType: "image/tiff", wantW: 21, wantH: 8, wantOK: true},
		{name: "webp lossless", data: readTestdata(t, "lossless_7x5.webp"), contentType: "image/webp", wantW: 7, wantH: 5, wantOK: true},
		{name: "webp lossy", data: readTestdata(t, "lossy_9x6.webp"), contentType: "image/webp", wantW: 9, wantH: 6, wantOK: true},
		{name: "webp extended with alpha", data: readTestdata(t, "alpha_5x3.webp"), contentType: "image/webp", wantW: 5, wantH: 3, wantOK: true},
		{name: "webp hand-built VP8L header", data: vp8lHeader(300, 200), contentType: "image/webp", wantW: 300, wantH: 200, wantOK: true},
		{name: "content type with parameters and case", data: encodePNG(t, 5, 6), contentType: "Image/PNG; foo=bar", wantW: 5, wantH: 6, wantOK: true, skipSniffTest: true},
		{name: "truncated png", data: encodePNG(t, 5, 6)[:20], contentType: "image/png"},
		{name: "png bytes called jpeg", data: encodePNG(t, 5, 6), contentType: "image/jpeg", skipSniffTest: true},
		{name: "text", data: []byte("hello"), contentType: "text/plain"},
		{name: "pdf", data: []byte("%PDF-1.4\n"), contentType: "application/pdf"},
		{name: "empty png", data: nil, contentType: "image/png", skipSniffTest: true},
		{name: "unsupported image type", data: []byte("\x00\x00\x00\x1cftypavif"), contentType: "image/avif", skipSniffTest: true},

		{name: "svg width height", data: svg(`width="120" height="80"`), contentType: "image/svg+xml", wantW: 120, wantH: 80, wantOK: true},
		{name: "svg px units", data: svg(`width="100px" height=" 50px "`), contentType: "image/svg+xml", wantW: 100, wantH: 50, wantOK: true},
		{name: "svg fractional rounds", data: svg(`width="10.6" height="2.4"`), contentType: "image/svg+xml", wantW: 11, wantH: 2, wantOK: true},
		{name: "svg viewBox only", data: svg(`viewBox="0 0 300 150"`), contentType: "image/svg+xml", wantW: 300, wantH: 150, wantOK: true},
		{name: "svg viewBox commas", data: svg(`viewBox="-5,-5, 64,32"`), contentType: "image/svg+xml", wantW: 64, wantH: 32, wantOK: true},
		{name: "svg percentages fall back to viewBox", data: svg(`width="100%" height="100%" viewBox="0 0 40 20"`), contentType: "image/svg+xml", wantW: 40, wantH: 20, wantOK: true},
		{name: "svg other units fall back to viewBox", data: svg(`width="10cm" height="5em" viewBox="0 0 400 200"`), contentType: "image/svg+xml", wantW: 400, wantH: 200, wantOK: true},
		{name: "svg width and viewBox keep aspect", data: svg(`width="200" viewBox="0 0 100 50"`), contentType: "image/svg+xml", wantW: 200, wantH: 100, wantOK: true},
		{name: "svg height and viewBox keep aspect", data: svg(`height="30" viewBox="0 0 100 50"`), contentType: "image/svg+xml", wantW: 60, wantH: 30, wantOK: true},
		{name: "svg prolog doctype comment", data: []byte("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<!-- c -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"7\" height=\"8\"><g/></svg>"), contentType: "image/svg+xml", wantW: 7, wantH: 8, wantOK: true},
		{name: "svg namespace prefix", data: []byte(`<svg:svg xmlns:svg="http://www.w3.org/2000/svg" width="5" height="6"/>`), contentType: "image/svg+xml", wantW: 5, wantH: 6, wantOK: true},
		{name: "svg percentages without viewBox", data: svg(`width="100%" height="100%"`), contentType: "image/svg+xml"},
		{name: "svg no size", data: svg(``), contentType: "image/svg+xml"},
		{name: "svg zero width", data: svg(`width="0" height="10"`), contentType: "image/svg+xml"},
		{name: "svg negative viewBox size", data: svg(`viewBox="0 0 -10 10"`), contentType: "image/svg+xml"},
		{name: "svg viewBox three numbers", data: svg(`viewBox="0 0 10"`), contentType: "image/svg+xml"},
		{name: "svg infinite width", data: svg(`width="Inf" height="1e999"`), contentType: "image/svg+xml"},
		{name: "svg huge width", data: svg(`width="1e300" height="10"`), contentType: "image/svg+xml"},
		{name: "svg malformed attribute", data: []byte(`<svg width="10" height=10>`), contentType: "image/svg+xml", skipSniffTest: true},
		{name: "svg truncated", data: []byte(`<svg width="10" height="10"`), contentType: "image/svg+xml", skipSniffTest: true},
		{name: "svg not xml", data: []byte(`width="10" height="10"`), contentType: "image/svg+xml", skipSniffTest: true},
		{name: "svg root is not svg", data: []byte(`<html width="10" height="10"><svg width="1" height="1"/></html>`), contentType: "image/svg+xml", skipSniffTest: true},
		{name: "svg empty", data: nil, contentType: "image/svg+xml", skipSniffTest: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Hide io.ReaderAt so that the streaming path is tested.
			w, h, ok := Dimensions(io.MultiReader(bytes.NewReader(tt.data)), tt.contentType)
			if w != tt.wantW || h != tt.wantH || ok != tt.wantOK {
				t.Errorf("Dimensions() = %d, %d, %v; want %d, %d, %v", w, h, ok, tt.wantW, tt.wantH, tt.wantOK)
			}
			if tt.wantOK && !tt.skipSniffTest {
				if got := Sniff(tt.data); got != canonical(tt.contentType) {
					t.Errorf("Sniff() = %q, want %q", got, tt.contentType)
				}
				if !IsImage(tt.contentType) {
					t.Errorf("IsImage(%q) = false", tt.contentType)
				}
			}
		})
	}
}

func svg(attrs string) []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" ` + attrs + `><rect width="1" height="1"/></svg>`)
}

func TestDimensionsHugePNGIsHeaderOnly(t *testing.T) {
	data := pngHeader(50000, 50000)
	start := time.Now()
	w, h, ok := Dimensions(bytes.NewReader(data), Sniff(data))
	if w != 50000 || h != 50000 || !ok {
		t.Fatalf("Dimensions() = %d, %d, %v; want 50000, 50000, true", w, h, ok)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Dimensions took %v: it must not touch pixels", d)
	}
}

// countingReader counts the bytes handed out by an endless source.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// endless repeats chunk forever after prefix.
type endless struct {
	prefix, chunk []byte
	off           int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(e.prefix) > 0 {
			c := copy(p[n:], e.prefix)
			e.prefix = e.prefix[c:]
			n += c
			continue
		}
		c := copy(p[n:], e.chunk[e.off:])
		e.off = (e.off + c) % len(e.chunk)
		n += c
	}
	return n, nil
}

func TestDimensionsReadsABoundedAmount(t *testing.T) {
	app := append([]byte{0xff, 0xe1, 0xff, 0xff}, make([]byte, 0xfffd)...)
	tests := []struct {
		name        string
		src         io.Reader
		contentType string
		max         int64
	}{
		{"jpeg of endless APP segments", &endless{prefix: []byte{0xff, 0xd8}, chunk: app}, "image/jpeg", MaxHeaderBytes},
		{"svg with an endless comment", &endless{prefix: []byte("<?xml version=\"1.0\"?><!--"), chunk: []byte("spam ")}, "image/svg+xml", MaxSVGHeadBytes},
		{"svg with endless whitespace", &endless{chunk: []byte("\n")}, "image/svg+xml", MaxSVGHeadBytes},
		{"tiff streamed", &endless{prefix: []byte("II*\x00\xff\xff\xff\x7f"), chunk: []byte{0}}, "image/tiff", MaxHeaderBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := &countingReader{r: tt.src}
			if w, h, ok := Dimensions(cr, tt.contentType); ok {
				t.Errorf("Dimensions() = %d, %d, true; want ok=false", w, h)
			}
			if cr.n > tt.max {
				t.Errorf("read %d bytes, want at most %d", cr.n, tt.max)
			}
		})
	}
}

func TestDimensionsTIFFDirectoryAtTheEnd(t *testing.T) {
	// The x/image encoder writes the directory after the pixel data, as many
	// writers do. Past MaxHeaderBytes only an io.ReaderAt can reach it.
	data := encodeTIFFUncompressed(t, 1600, 1400)
	if len(data) <= MaxHeaderBytes {
		t.Fatalf("test TIFF is only %d bytes", len(data))
	}
	if w, h, ok := Dimensions(bytes.NewReader(data), "image/tiff"); w != 1600 || h != 1400 || !ok {
		t.Errorf("Dimensions(bytes.Reader) = %d, %d, %v; want 1600, 1400, true", w, h, ok)
	}
	if _, _, ok := Dimensions(io.MultiReader(bytes.NewReader(data)), "image/tiff"); ok {
		t.Errorf("Dimensions(plain reader) read past MaxHeaderBytes")
	}
	// A ReaderAt that is not at the start is not trusted for offsets.
	r := bytes.NewReader(append([]byte("junk"), data...))
	r.Seek(4, io.SeekStart)
	if _, _, ok := Dimensions(r, "image/tiff"); ok {
		t.Errorf("Dimensions(offset ReaderAt) = ok, want fallback to the bounded stream")
	}
}

func encodeTIFFUncompressed(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestIsImage(t *testing.T) {
	for _, ct := range []string{"image/jpeg", "image/jpg", "image/png", "image/gif", "image/webp", "image/bmp", "image/x-ms-bmp", "image/tiff", "image/svg+xml", "IMAGE/PNG", "image/svg+xml; charset=utf-8"} {
		if !IsImage(ct) {
			t.Errorf("IsImage(%q) = false, want true", ct)
		}
	}
	for _, ct := range []string{"", "image/avif", "image/heic", "image/vnd.adobe.photoshop", "text/plain", "application/pdf", "application/octet-stream", "video/mp4"} {
		if IsImage(ct) {
			t.Errorf("IsImage(%q) = true, want false", ct)
		}
	}
}

func TestExtension(t *testing.T) {
	tests := map[string]string{
		"image/jpeg":                    ".jpg",
		"image/jpg":                     ".jpg",
		"image/png":                     ".png",
		"image/gif":                     ".gif",
		"image/webp":                    ".webp",
		"image/bmp":                     ".bmp",
		"image/tiff":                    ".tif",
		"image/svg+xml":                 ".svg",
		"application/pdf":               ".pdf",
		"text/plain":                    ".txt",
		"text/plain; charset=utf-8":     ".txt",
		"Text/HTML":                     ".html",
		"application/json":              ".json",
		"text/csv":                      ".csv",
		"application/zip":               ".zip",
		"video/mp4":                     ".mp4",
		"audio/mpeg":                    ".mp3",
		"application/x-7z-compressed":   ".7z",
		"video/x-matroska":              ".mkv",
		"application/vnd.sqlite3":       ".sqlite",
		"application/octet-stream":      "",
		"":                              "",
		"application/x-no-such-thing":   "",
		"application/vnd.ms-powerpoint": ".ppt",
		"application/vnd.oasis.opendocument.text": ".odt",
		"application/epub+zip":                    ".epub",
		"audio/x-flac":                            ".flac",
	}
	for ct, want := range tests {
		if got := Extension(ct); got != want {
			t.Errorf("Extension(%q) = %q, want %q", ct, got, want)
		}
	}
}

func TestCategory(t *testing.T) {
	tests := map[string]string{
		"image/jpeg":                CategoryImage,
		"image/svg+xml":             CategoryImage,
		"image/avif":                CategoryImage,
		"video/mp4":                 CategoryVideo,
		"VIDEO/WEBM":                CategoryVideo,
		"audio/mpeg":                CategoryAudio,
		"application/pdf":           CategoryDocument,
		"text/plain; charset=utf-8": CategoryDocument,
		"text/csv":                  CategoryDocument,
		"application/json":          CategoryDocument,
		"application/msword":        CategoryDocument,
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document": CategoryDocument,
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       CategoryDocument,
		"application/vnd.oasis.opendocument.text":                                 CategoryDocument,
		"application/epub+zip":        CategoryDocument,
		"application/zip":             CategoryArchive,
		"application/gzip":            CategoryArchive,
		"application/x-tar":           CategoryArchive,
		"application/x-7z-compressed": CategoryArchive,
		"application/vnd.rar":         CategoryArchive,
		"application/octet-stream":    CategoryOther,
		"application/wasm":            CategoryOther,
		"font/woff2":                  CategoryOther,
		"":                            CategoryOther,
		"nonsense":                    CategoryOther,
	}
	for ct, want := range tests {
		if got := Category(ct); got != want {
			t.Errorf("Category(%q) = %q, want %q", ct, got, want)
		}
	}
}

// Every type Sniff can answer for a test file maps to a non-empty extension.
func TestSniffedTypesHaveExtensions(t *testing.T) {
	for _, data := range [][]byte{
		encodePNG(t, 1, 1), encodeJPEG(t, 1, 1), encodeGIF(t, 1, 1), encodeBMP(t, 1, 1), encodeTIFF(t, 1, 1),
		vp8lHeader(1, 1), svg(""), []byte("text"), []byte(`{"a":1}`), []byte("%PDF-1.4\n"),
	} {
		ct := Sniff(data)
		if Extension(ct) == "" {
			t.Errorf("Extension(%q) is empty", ct)
		}
		if strings.HasPrefix(ct, "image/") != (Category(ct) == CategoryImage) {
			t.Errorf("Category(%q) = %q", ct, Category(ct))
		}
	}
}

// fuzzContentTypes are the content types FuzzDimensions feeds every input
// to, besides Sniff's own answer.
var fuzzContentTypes = []string{
	"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff", "image/svg+xml",
	"text/plain", "application/octet-stream", "",
}

func FuzzDimensions(f *testing.F) {
	for _, seed := range [][]byte{
		encodePNG(f, 2, 3), encodeJPEG(f, 2, 3), encodeGIF(f, 2, 3), encodeBMP(f, 2, 3), encodeTIFF(f, 2, 3),
		vp8lHeader(2, 3), svg(`width="2" height="3"`), svg(`viewBox="0 0 2 3"`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ct := Sniff(data)
		if ct == "" || strings.Contains(ct, ";") {
			t.Fatalf("Sniff() = %q", ct)
		}
		Extension(ct)
		Category(ct)
		for _, ct := range append(fuzzContentTypes, ct) {
			for _, r := range []io.Reader{bytes.NewReader(data), io.MultiReader(bytes.NewReader(data))} {
				w, h, ok := Dimensions(r, ct)
				if ok && (w <= 0 || h <= 0) {
					t.Fatalf("Dimensions(%q) = %d, %d, true", ct, w, h)
				}
				if !ok && (w != 0 || h != 0) {
					t.Fatalf("Dimensions(%q) = %d, %d, false", ct, w, h)
				}
				if ok && !IsImage(ct) {
					t.Fatalf("Dimensions(%q) ok for a type IsImage rejects", ct)
				}
			}
		}
	})
}
