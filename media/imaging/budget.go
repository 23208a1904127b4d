package imaging

import (
	"bufio"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// ErrOverBudget reports image work that would need more memory than the
// whole Budget: it is refused rather than waited for.
var ErrOverBudget = errors.New("image needs more memory than the image budget")

// DefaultBudgetCap bounds DefaultBudget: 512 MiB.
const DefaultBudgetCap = 512 << 20

// DefaultBudget is the default memory budget of image work: an eighth of
// the machine's memory, at most DefaultBudgetCap (DefaultBudgetCap when
// the memory cannot be read).
func DefaultBudget() int64 {
	total := memTotal()
	if total <= 0 {
		return DefaultBudgetCap
	}
	return min(total/8, DefaultBudgetCap)
}

// memTotal reads MemTotal from /proc/meminfo, or returns 0.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// Budget is one memory budget, in bytes, shared by all image work
// (previews, rotation, hashing): a job takes what its decode will cost
// (see Cost) before decoding and gives it back when done, so that however
// many run at once, their images never take more than the budget. A job
// that does not fit waits its turn, first come first served; one larger
// than the whole budget is refused. Safe for concurrent use.
type Budget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	peak    int64
	waiters list.List // of *waiter, in arrival order
}

type waiter struct {
	n     int64
	ready chan struct{}
}

// NewBudget returns a budget of size bytes (DefaultBudget() when size <= 0).
func NewBudget(size int64) *Budget {
	if size <= 0 {
		size = DefaultBudget()
	}
	return &Budget{size: size}
}

// Size is the budget in bytes.
func (b *Budget) Size() int64 { return b.size }

// InUse is the part of the budget taken now.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Peak is the most the budget has had taken at once.
func (b *Budget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// Acquire takes n bytes of the budget, waiting until they are free or ctx
// ends. It returns ErrOverBudget at once when n exceeds the whole budget.
// Call release exactly once when the memory is no longer used.
func (b *Budget) Acquire(ctx context.Context, n int64) (release func(), err error) {
	if n > b.size {
		return nil, fmt.Errorf("%w: %d MiB needed, the budget is %d MiB", ErrOverBudget, (n+1<<20-1)>>20, b.size>>20)
	}
	n = max(n, 1)
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.used+n <= b.size {
		b.take(n)
		b.mu.Unlock()
		return b.releaser(n), nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	e := b.waiters.PushBack(w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return b.releaser(n), nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready:
			// Granted meanwhile: give it back.
			b.used -= n
		default:
			b.waiters.Remove(e)
		}
		b.grant()
		b.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (b *Budget) take(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

// collectAbove is the share of the budget from which a release first
// collects garbage: the memory an image held is free only once collected,
// and the next image must not be decoded beside it.
const collectAbove = 64 << 20

func (b *Budget) releaser(n int64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			if n >= collectAbove {
				runtime.GC()
			}
			b.mu.Lock()
			b.used -= n
			b.grant()
			b.mu.Unlock()
		})
	}
}

// grant wakes the waiters at the head of the queue that now fit.
func (b *Budget) grant() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*waiter)
		if b.used+w.n > b.size {
			return
		}
		b.take(w.n)
		b.waiters.Remove(e)
		close(w.ready)
	}
}

// Bytes per pixel of the decoded forms, at most.
const (
	bppRGBA   = 4 // 8-bit RGBA, NRGBA, YCbCr with alpha, CMYK
	bppRGBA64 = 8 // 16-bit channels
)

// Cost estimates, from the header of the image in r (positioned at the
// start, left there), the bytes that Decode with opts will allocate, and
// checks the pixel limit as Config does. A JPEG decoded at a reduced
// scale costs that scale's pixels, plus the file it is read from.
func Cost(r io.ReadSeeker, contentType string, opts Options) (int64, error) {
	w, h, err := Config(r, contentType, opts)
	if err != nil {
		return 0, err
	}
	defer r.Seek(0, io.SeekStart)
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	px := int64(w) * int64(h)
	switch contentType {
	case "image/jpeg":
		size, err := r.Seek(0, io.SeekEnd)
		if err != nil {
			return 0, err
		}
		s := int64(JPEGScale(w, h, opts.MinWidth, opts.MinHeight))
		return size + (int64(w)+s-1)/s*((int64(h)+s-1)/s)*bppRGBA, nil
	case "image/png":
		return px * pngBytesPerPixel(r), nil
	case "image/gif":
		return px, nil // one paletted frame
	case "image/tiff":
		return px * bppRGBA64, nil
	}
	return px * bppRGBA, nil
}

// pngBytesPerPixel reads the bit depth from the PNG header.
func pngBytesPerPixel(r io.Reader) int64 {
	var head [26]byte // signature, IHDR length and type, width, height, depth
	if _, err := io.ReadFull(r, head[:]); err != nil || head[24] != 16 {
		return bppRGBA
	}
	return bppRGBA64
}

// GIFFrames reads the frames of the GIF in r (positioned at the start)
// without decoding them: their number, and the pixels they hold together,
// which is what decoding every frame (gif.DecodeAll) allocates. It stops
// with ErrOverBudget as soon as the pixels pass maxPixels, so a file of
// thousands of frames is refused after reading their descriptors only.
func GIFFrames(r io.Reader, maxPixels int64) (frames int, pixels int64, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	bad := func(what string) (int, int64, error) {
		return frames, pixels, fmt.Errorf("%w: GIF %s", ErrDecode, what)
	}
	var hdr [13]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil || string(hdr[:3]) != "GIF" {
		return bad("header")
	}
	if hdr[10]&0x80 != 0 {
		if _, err := br.Discard(3 << (hdr[10]&7 + 1)); err != nil {
			return bad("color table")
		}
	}
	skipBlocks := func() error {
		for {
			n, err := br.ReadByte()
			if err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
			if _, err := br.Discard(int(n)); err != nil {
				return err
			}
		}
	}
	for {
		c, err := br.ReadByte()
		if err != nil {
			return bad("data ends early")
		}
		switch c {
		case 0x21: // extension: label, then sub-blocks
			if _, err := br.ReadByte(); err != nil || skipBlocks() != nil {
				return bad("extension")
			}
		case 0x2C: // image descriptor
			var d [9]byte
			if _, err := io.ReadFull(br, d[:]); err != nil {
				return bad("image descriptor")
			}
			fw, fh := int64(d[4])|int64(d[5])<<8, int64(d[6])|int64(d[7])<<8
			frames++
			pixels += fw * fh
			if pixels > maxPixels {
				return frames, pixels, fmt.Errorf("%w: the frames of the GIF hold more than %d pixels", ErrOverBudget, maxPixels)
			}
			if d[8]&0x80 != 0 {
				if _, err := br.Discard(3 << (d[8]&7 + 1)); err != nil {
					return bad("color table")
				}
			}
			if _, err := br.ReadByte(); err != nil || skipBlocks() != nil { // LZW code size, data
				return bad("image data")
			}
		case 0x3B: // trailer
			return frames, pixels, nil
		default:
			return bad("block")
		}
	}
}
