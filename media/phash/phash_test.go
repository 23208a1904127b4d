package phash_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/image/draw"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/phash"
)

func reencode(tb testing.TB, img image.Image, quality int) image.Image {
	tb.Helper()
	out, err := jpeg.Decode(bytes.NewReader(imagetest.JPEG(tb, img, quality)))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func resize(img image.Image, w, h int) image.Image {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Rect, img, img.Bounds(), draw.Src, nil)
	return dst
}

func TestSimilarCopies(t *testing.T) {
	orig := imagetest.Photo(320, 240, 1)
	h := phash.Compute(orig)
	if h.Flat {
		t.Fatal("a photo counted as flat")
	}
	copies := map[string]image.Image{
		"re-encoded q40":   reencode(t, orig, 40),
		"resized to half":  resize(orig, 160, 120),
		"resized and q60":  reencode(t, resize(orig, 200, 150), 60),
		"enlarged":         resize(orig, 640, 480),
		"slightly cropped": orig.SubImage(image.Rect(4, 3, 316, 237)),
	}
	for name, c := range copies {
		hc := phash.Compute(c)
		dd, dp := phash.Distance(h.DHash, hc.DHash), phash.Distance(h.PHash, hc.PHash)
		t.Logf("%s: dHash %d, pHash %d", name, dd, dp)
		if dd > 10 || dp > 10 {
			t.Errorf("%s: dHash distance %d, pHash distance %d; want both at most 10", name, dd, dp)
		}
	}
	for seed := uint64(2); seed < 12; seed++ {
		other := phash.Compute(imagetest.Photo(320, 240, seed))
		dd, dp := phash.Distance(h.DHash, other.DHash), phash.Distance(h.PHash, other.PHash)
		t.Logf("unrelated %d: dHash %d, pHash %d", seed, dd, dp)
		if dd <= 10 && dp <= 10 {
			t.Errorf("unrelated photo %d: dHash distance %d, pHash distance %d; want one above 10", seed, dd, dp)
		}
	}
}

func TestFlat(t *testing.T) {
	flat := image.NewUniform(color.RGBA{90, 120, 200, 255})
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	draw.Draw(img, img.Rect, flat, image.Point{}, draw.Src)
	if !phash.Compute(img).Flat {
		t.Error("a one-colour image is not flat")
	}
	// Faint noise from compression does not make it less flat.
	if !phash.Compute(reencode(t, img, 50)).Flat {
		t.Error("a re-encoded one-colour image is not flat")
	}
	if phash.Compute(imagetest.Quadrants(64, 48)).Flat {
		t.Error("quadrants counted as flat")
	}
}

func TestIndexMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := phash.NewIndex()
	keys := map[int64][2]uint64{}
	base := rng.Uint64()
	for id := int64(1); id <= 3000; id++ {
		// Half the keys near one another, half anywhere.
		k := rng.Uint64()
		if id%2 == 0 {
			k = base
			for range rng.IntN(20) {
				k ^= 1 << rng.IntN(64)
			}
		}
		e := rng.Uint64()
		keys[id] = [2]uint64{k, e}
		x.Add(id, k, e)
	}
	for id := int64(1); id <= 3000; id += 3 {
		x.Remove(id)
		delete(keys, id)
	}
	if x.Len() != len(keys) {
		t.Fatalf("Len %d, want %d", x.Len(), len(keys))
	}
	for _, radius := range []int{0, 3, 7, 10, 14} {
		for range 30 {
			q := base
			for range rng.IntN(12) {
				q ^= 1 << rng.IntN(64)
			}
			var got, want []int64
			x.Near(q, radius, 0, -1, func(m phash.Match) {
				if m.Distance != phash.Distance(q, keys[m.ID][0]) {
					t.Fatalf("distance %d reported for %d", m.Distance, m.ID)
				}
				got = append(got, m.ID)
			})
			for id, k := range keys {
				if phash.Distance(q, k[0]) <= radius {
					want = append(want, id)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("radius %d: Near found %d entries, brute force %d", radius, len(got), len(want))
			}
		}
	}
	// The extra bound filters.
	var n int
	x.Near(base, 64, 0, 0, func(m phash.Match) {
		if keys[m.ID][1] != 0 {
			t.Fatalf("extra bound 0 let through %x", keys[m.ID][1])
		}
		n++
	})
	_ = n
	// Replacing an entry moves it.
	x.Add(2, ^base, 0)
	x.Near(base, 10, 0, -1, func(m phash.Match) {
		if m.ID == 2 {
			t.Error("replaced entry still found under its old key")
		}
	})
	if k, _, ok := x.Get(2); !ok || k != ^base {
		t.Error("Get after replacing")
	}
}

// BenchmarkNear finds the neighbours within distance 10 of one hash among
// 1M or 2,000: uniformly random hashes, and hashes clustered as perceptual
// hashes of a real library tend to be (many near-duplicates, shared
// structure). The small library is the load benchmark's, where the media
// worker looks for neighbours of every upload.
func BenchmarkNear(b *testing.B) {
	for _, c := range []struct {
		name, kind string
		n          int64
	}{
		{"uniform", "uniform", 1_000_000}, {"clustered", "clustered", 1_000_000},
		{"uniform/2000", "uniform", 2000}, {"clustered/2000", "clustered", 2000},
	} {
		kind, n := c.kind, c.n
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			x := phash.NewIndex()
			centres := make([]uint64, 20000)
			for i := range centres {
				centres[i] = rng.Uint64()
			}
			var keys []uint64
			for id := range n {
				k := rng.Uint64()
				if kind == "clustered" {
					k = centres[rng.IntN(len(centres))]
					for range rng.IntN(8) {
						k ^= 1 << rng.IntN(64)
					}
				}
				keys = append(keys, k)
				x.Add(id, k, 0)
			}
			b.ResetTimer()
			found := 0
			for i := 0; b.Loop(); i++ {
				x.Near(keys[i%len(keys)], 10, 0, -1, func(phash.Match) { found++ })
			}
			b.ReportMetric(float64(found)/float64(b.N), "neighbours/op")
		})
	}
}

// BenchmarkCompute hashes decoded photos of the sizes the media worker
// hands over: 100×75 is the load benchmark's 200×150 upload decoded at
// 1/2 (YCbCr, as JPEGs decode), 512×384 a larger photo at 1/8; RGBA is a
// PNG's.
func BenchmarkCompute(b *testing.B) {
	for _, size := range [][2]int{{100, 75}, {512, 384}} {
		photo := imagetest.Photo(size[0], size[1], 7)
		for _, img := range []image.Image{reencode(b, photo, 90), photo} {
			b.Run(fmt.Sprintf("%T/%dx%d", img, size[0], size[1]), func(b *testing.B) {
				for b.Loop() {
					phash.Compute(img)
				}
			})
		}
	}
}
