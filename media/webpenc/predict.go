package webpenc

// tileBits is log2 of the predictor tile side (32 pixels).
const tileBits = 5

func tilesOf(n int) int { return (n + 1<<tileBits - 1) >> tileBits }

// The predictor modes tried per tile: left, top, the average of both, and
// the clamped gradient L + T - TL. (Modes that read the top-right pixel, or
// whose rounding the format defines less plainly, are not used.)
var candidateModes = []int{1, 2, 7, 12}

func channel(p uint32, shift uint) int32 { return int32((p >> shift) & 0xff) }

func average2(a, b uint32) uint32 {
	return (((a ^ b) & 0xfefefefe) >> 1) + (a & b)
}

func clampAddSubtractFull(l, t, tl uint32) uint32 {
	var out uint32
	for _, s := range []uint{0, 8, 16, 24} {
		v := channel(l, s) + channel(t, s) - channel(tl, s)
		v = min(max(v, 0), 255)
		out |= uint32(v) << s
	}
	return out
}

// predictOne is mode's prediction of pixel (x, y) of argb (width w), for a
// pixel that has a left and a top neighbour.
func predictOne(argb []uint32, w, x, y, mode int) uint32 {
	l := argb[y*w+x-1]
	t := argb[(y-1)*w+x]
	switch mode {
	case 1:
		return l
	case 2:
		return t
	case 7:
		return average2(l, t)
	case 12:
		return clampAddSubtractFull(l, t, argb[(y-1)*w+x-1])
	}
	return 0xff000000
}

// sub subtracts channel by channel, modulo 256.
func sub(a, b uint32) uint32 {
	return (((a | 0x00ff00ff) - (b & 0xff00ff00)) & 0xff00ff00) |
		(((a | 0xff00ff00) - (b & 0x00ff00ff)) & 0x00ff00ff)
}

// cost measures a residual: small magnitudes, positive or negative, are
// cheap to code.
func cost(r uint32) int {
	c := 0
	for _, s := range []uint{0, 8, 16, 24} {
		v := int((r >> s) & 0xff)
		if v > 128 {
			v = 256 - v
		}
		c += v
	}
	return c
}

// predict picks a mode per tile and returns the modes and the residuals.
// The first pixel is predicted as opaque black, the rest of the first row
// from the left and the rest of the first column from the top, whatever
// the tile's mode, as the format requires.
func predict(argb []uint32, w, h int) ([]int, []uint32) {
	tw, th := tilesOf(w), tilesOf(h)
	modes := make([]int, tw*th)
	for ty := range th {
		for tx := range tw {
			best, bestCost := 1, -1
			for _, m := range candidateModes {
				c := 0
				for y := max(ty<<tileBits, 1); y < min((ty+1)<<tileBits, h); y++ {
					for x := max(tx<<tileBits, 1); x < min((tx+1)<<tileBits, w); x++ {
						c += cost(sub(argb[y*w+x], predictOne(argb, w, x, y, m)))
					}
				}
				if bestCost < 0 || c < bestCost {
					best, bestCost = m, c
				}
			}
			modes[ty*tw+tx] = best
		}
	}
	res := make([]uint32, len(argb))
	for y := range h {
		for x := range w {
			var pred uint32
			switch {
			case x == 0 && y == 0:
				pred = 0xff000000
			case y == 0:
				pred = argb[x-1]
			case x == 0:
				pred = argb[(y-1)*w]
			default:
				pred = predictOne(argb, w, x, y, modes[(y>>tileBits)*tw+x>>tileBits])
			}
			res[y*w+x] = sub(argb[y*w+x], pred)
		}
	}
	return modes, res
}
