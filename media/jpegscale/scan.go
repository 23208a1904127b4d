package jpegscale

import "encoding/binary"

// bitReader reads the entropy-coded segment of a scan, most significant
// bit first, removing stuffed zero bytes. At a marker or the end of the
// data it supplies zero bits, so that a truncated image decodes as grey
// rather than failing.
type bitReader struct {
	data  []byte
	pos   int
	acc   uint64 // the next bits, left-aligned
	nbits uint
}

// fill tops acc up to at least 57 bits.
func (br *bitReader) fill() {
	acc, nbits, pos, data := br.acc, br.nbits, br.pos, br.data
	if pos+8 <= len(data) {
		// Fast path: whole bytes at once when none of the next eight is
		// 0xFF (no stuffing, no marker).
		w := binary.BigEndian.Uint64(data[pos:])
		if x := ^w; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			nbytes := (64 - nbits) >> 3
			keep := 64 - 8*nbytes
			acc |= (w >> keep << keep) >> nbits
			br.acc, br.nbits, br.pos = acc, nbits+8*nbytes, pos+int(nbytes)
			return
		}
	}
	for nbits <= 56 {
		var b byte
		if pos < len(data) {
			b = data[pos]
			if b != 0xFF {
				pos++
			} else if pos+1 < len(data) && data[pos+1] == 0 {
				pos += 2
			} else {
				b = 0 // a marker: leave it for the caller, feed zeros
			}
		}
		acc |= uint64(b) << (56 - nbits)
		nbits += 8
	}
	br.acc, br.nbits, br.pos = acc, nbits, pos
}

// restart discards the bits left before a restart marker and skips it.
func (br *bitReader) restart() {
	br.acc, br.nbits = 0, 0
	data := br.data
	for br.pos+1 < len(data) {
		if data[br.pos] != 0xFF {
			br.pos++
			continue
		}
		m := data[br.pos+1]
		switch {
		case m == 0xFF:
			br.pos++
		case m == 0x00:
			br.pos += 2
		case m >= 0xD0 && m <= 0xD7:
			br.pos += 2
			return
		default:
			return // another marker: the scan ends early
		}
	}
}

// decodeHuff decodes one symbol of table t, the slow way for codes longer
// than fastBits. The caller has filled at least 16 bits.
func (br *bitReader) decodeHuff(t *huffTable) (byte, bool) {
	if e := t.fast[br.acc>>(64-fastBits)]; e != 0 {
		l := uint(e >> 8)
		br.acc <<= l
		br.nbits -= l
		return byte(e), true
	}
	for l := uint(fastBits + 1); l <= 16; l++ {
		code := int32(br.acc >> (64 - l))
		if code <= t.maxCode[l] {
			br.acc <<= l
			br.nbits -= l
			return t.vals[(code+t.valOff[l])&0xFF], true
		}
	}
	return 0, false
}

// decodeScan decodes the MCUs of one scan into the component planes.
func (d *decoder) decodeScan(scan []*component) error {
	br := &bitReader{data: d.data, pos: d.pos}
	for _, c := range scan {
		c.pred = 0
	}
	var blk [64]int32
	n := d.n
	if len(scan) == 1 {
		c := scan[0]
		q := &d.quant[c.tq]
		count := 0
		for by := 0; by < c.bh; by++ {
			for bx := 0; bx < c.bw; bx++ {
				if d.ri > 0 && count > 0 && count%d.ri == 0 {
					br.restart()
					c.pred = 0
				}
				count++
				if err := d.decodeBlock(br, c, q, &blk); err != nil {
					return err
				}
				d.idct(&blk, c.plane[by*n*c.stride+bx*n:], c.stride)
			}
		}
	} else {
		count := 0
		for my := 0; my < d.mcusY; my++ {
			for mx := 0; mx < d.mcusX; mx++ {
				if d.ri > 0 && count > 0 && count%d.ri == 0 {
					br.restart()
					for _, c := range scan {
						c.pred = 0
					}
				}
				count++
				for _, c := range scan {
					q := &d.quant[c.tq]
					for v := 0; v < c.v; v++ {
						for h := 0; h < c.h; h++ {
							if err := d.decodeBlock(br, c, q, &blk); err != nil {
								return err
							}
							bx, by := mx*c.h+h, my*c.v+v
							d.idct(&blk, c.plane[by*n*c.stride+bx*n:], c.stride)
						}
					}
				}
			}
		}
	}
	d.pos = br.pos
	return nil
}

// decodeBlock decodes one 8×8 block, storing in blk (n×n, row-major) the
// dequantized coefficients that the reduced IDCT uses. The others are
// decoded and dropped.
func (d *decoder) decodeBlock(br *bitReader, c *component, q *[64]int32, blk *[64]int32) error {
	n := d.n
	for i := range n * n {
		blk[i] = 0
	}
	// DC.
	if br.nbits < 32 {
		br.fill()
	}
	dc := &d.dc[c.td]
	var s byte
	if e := dc.fast[br.acc>>(64-fastBits)]; e != 0 {
		l := uint(e >> 8)
		br.acc <<= l
		br.nbits -= l
		s = byte(e)
	} else {
		var ok bool
		if s, ok = br.decodeHuff(dc); !ok {
			return FormatError("bad DC code")
		}
	}
	if s > 15 {
		return FormatError("bad DC code")
	}
	if s > 0 {
		v := int32(br.acc >> (64 - uint(s)))
		br.acc <<= uint(s)
		br.nbits -= uint(s)
		c.pred += extend(v, uint(s))
	}
	blk[0] = c.pred * q[0]

	// AC.
	ac := &d.ac[c.ta]
	sub, kmax := &d.sub, d.kmax
	acc, nbits := br.acc, br.nbits
	for k := 1; k < 64; {
		if nbits < 32 {
			br.acc, br.nbits = acc, nbits
			br.fill()
			acc, nbits = br.acc, br.nbits
		}
		idx := acc >> (64 - fastBits)
		if e := ac.fastAC[idx]; e != 0 {
			l := uint(e & 0xFF)
			acc <<= l
			nbits -= l
			k += int(e>>8) & 0xFF
			if k <= kmax {
				if j := sub[k]; j >= 0 {
					blk[j] = (e >> 16) * q[k]
				}
			}
			k++
			continue
		}
		var rs byte
		if e := ac.fast[idx]; e != 0 {
			l := uint(e >> 8)
			acc <<= l
			nbits -= l
			rs = byte(e)
		} else {
			br.acc, br.nbits = acc, nbits
			var ok bool
			rs, ok = br.decodeHuff(ac)
			acc, nbits = br.acc, br.nbits
			if !ok {
				return FormatError("bad AC code")
			}
		}
		r, size := int(rs>>4), uint(rs&15)
		if size == 0 {
			if r != 15 {
				break // end of block
			}
			k += 16
			continue
		}
		k += r
		if k > 63 {
			return FormatError("AC run past the end of a block")
		}
		v := int32(acc >> (64 - size))
		acc <<= size
		nbits -= size
		if k <= kmax {
			if j := sub[k]; j >= 0 {
				blk[j] = extend(v, size) * q[k]
			}
		}
		k++
	}
	br.acc, br.nbits = acc, nbits
	return nil
}
