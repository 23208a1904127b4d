package jpegscale

// fastBits is the number of leading bits looked up in one step. Codes no
// longer than this (nearly all of them in practice) decode with a single
// table read.
const fastBits = 10

// huffTable is one Huffman table of a DHT segment, ready for decoding.
type huffTable struct {
	// fast maps the next fastBits bits to length<<8 | symbol, or 0 when
	// the code is longer than fastBits.
	fast [1 << fastBits]uint16
	// fastAC, for AC tables, maps the next fastBits bits to a whole
	// coefficient when its code and its magnitude bits both fit:
	// value<<16 | run<<8 | total length. 0 means not available.
	fastAC [1 << fastBits]int32
	// maxCode[l] is the largest code of length l, or -1; valOff[l] is
	// added to a code of length l to index vals.
	maxCode [18]int32
	valOff  [17]int32
	vals    [256]byte
	defined bool
}

// build fills t from the 16 code counts and the symbols of a DHT table.
// ac tells whether it is an AC table, whose symbols are run/size pairs.
func (t *huffTable) build(counts *[16]byte, symbols []byte, ac bool) error {
	*t = huffTable{}
	total := 0
	for _, c := range counts {
		total += int(c)
	}
	if total == 0 || total > 256 || total != len(symbols) {
		return FormatError("bad Huffman table size")
	}
	copy(t.vals[:], symbols)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.valOff[l] = k - code
		if n == 0 {
			t.maxCode[l] = -1
		} else {
			for i := int32(0); i < n; i++ {
				sym := symbols[k+i]
				c := code + i
				if l <= fastBits {
					shift := uint(fastBits - l)
					lo := c << shift
					for j := lo; j < lo+(1<<shift); j++ {
						t.fast[j] = uint16(l)<<8 | uint16(sym)
						if ac {
							t.setFastAC(j, l, sym)
						}
					}
				}
			}
			code += n
			k += n
			t.maxCode[l] = code - 1
		}
		if code > 1<<l {
			return FormatError("over-subscribed Huffman table")
		}
		code <<= 1
	}
	t.maxCode[17] = 1<<31 - 1 // sentinel: stops the slow search
	t.defined = true
	return nil
}

// setFastAC records in fastAC[j] the coefficient that the bits j decode
// to, if the code (length l, symbol sym) and its magnitude bits fit.
func (t *huffTable) setFastAC(j int32, l int, sym byte) {
	run, size := int32(sym>>4), int(sym&15)
	if size == 0 || l+size > fastBits {
		return
	}
	bits := (j >> uint(fastBits-l-size)) & (1<<size - 1)
	v := extend(bits, uint(size))
	t.fastAC[j] = v<<16 | run<<8 | int32(l+size)
}

// extend turns the size-bit magnitude category value v into the signed
// coefficient it stands for (JPEG's EXTEND procedure).
func extend(v int32, size uint) int32 {
	if size == 0 {
		return 0
	}
	if v < 1<<(size-1) {
		return v - (1 << size) + 1
	}
	return v
}
