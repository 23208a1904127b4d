package imaging_test

import (
	"bytes"
	"testing"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/resources/ingest"
)

func TestUprightJPEGExif(t *testing.T) {
	plain := imagetest.JPEG(t, imagetest.Photo(8, 6, 1), 80)
	for _, bigEndian := range []bool{false, true} {
		payload := imagetest.EXIFPayload(imagetest.EXIF{Orientation: 8, Make: "Canon", BigEndian: bigEndian})
		seg := imaging.UprightJPEGExif(imagetest.WithAPP1(plain, payload))
		if seg == nil {
			t.Fatal("no segment found")
		}
		if len(seg) != len(payload)+4 || seg[0] != 0xFF || seg[1] != 0xE1 {
			t.Fatalf("segment of %d bytes starting % x", len(seg), seg[:2])
		}
		// Put back into a JPEG, it reads as upright, camera kept.
		var out bytes.Buffer
		w := imaging.InsertAfterSOI(&out, seg)
		for i := range plain { // byte by byte: the SOI may arrive split
			if _, err := w.Write(plain[i : i+1]); err != nil {
				t.Fatal(err)
			}
		}
		e, ok := ingest.ReadEXIF(bytes.NewReader(out.Bytes()), "image/jpeg")
		if !ok || e.Make != "Canon" || e.Orientation != ingest.OrientNormal {
			t.Errorf("after reinsertion: %+v, %v", e, ok)
		}
	}
	for name, data := range map[string][]byte{
		"no EXIF":    plain,
		"not JPEG":   []byte("\x89PNG\r\n\x1a\n...."),
		"empty":      nil,
		"truncated":  imagetest.WithAPP1(plain, imagetest.EXIFPayload(imagetest.EXIF{Orientation: 6}))[:20],
		"other APP1": imagetest.WithAPP1(plain, []byte("http://ns.adobe.com/xap/1.0/\x00<x/>")),
	} {
		if seg := imaging.UprightJPEGExif(data); seg != nil {
			t.Errorf("%s: found a segment of %d bytes", name, len(seg))
		}
	}
}
