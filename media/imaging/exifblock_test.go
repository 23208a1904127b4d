package imaging_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/png"
	"testing"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/probe"
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
		e, ok := probe.ReadEXIF(bytes.NewReader(out.Bytes()), "image/jpeg")
		if !ok || e.Make != "Canon" || e.Orientation != probe.OrientNormal {
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

func TestUprightPNGExif(t *testing.T) {
	plain := imagetest.Encode(t, imagetest.Photo(8, 6, 1), "image/png")
	tiff := imagetest.EXIFPayload(imagetest.EXIF{Orientation: 6, Model: "X-T4", BigEndian: true})[len("Exif\x00\x00"):]
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(tiff)))
	chunk = append(append(chunk, "eXIf"...), tiff...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	const header = 8 + 12 + 13
	withExif := append(append(append([]byte{}, plain[:header]...), chunk...), plain[header:]...)

	keep := imaging.ExifKeeper("image/png", withExif)
	if keep == nil {
		t.Fatal("no eXIf chunk found")
	}
	var out bytes.Buffer
	w := keep(&out)
	for i := 0; i < len(plain); i += 7 { // in pieces that straddle IHDR
		if _, err := w.Write(plain[i:min(i+7, len(plain))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := png.Decode(bytes.NewReader(out.Bytes())); err != nil {
		t.Fatalf("the PNG with the chunk does not decode (bad CRC?): %v", err)
	}
	e, ok := probe.ReadEXIF(bytes.NewReader(out.Bytes()), "image/png")
	if !ok || e.Model != "X-T4" || e.Orientation != probe.OrientNormal {
		t.Errorf("after reinsertion: %+v, %v", e, ok)
	}
	for name, data := range map[string][]byte{"no eXIf": plain, "JPEG": imagetest.JPEG(t, imagetest.Photo(8, 6, 1), 80), "truncated": withExif[:40]} {
		if chunk := imaging.UprightPNGExif(data); chunk != nil {
			t.Errorf("%s: found a chunk", name)
		}
	}
	if imaging.ExifKeeper("image/gif", withExif) != nil {
		t.Error("a keeper for GIF")
	}
}
