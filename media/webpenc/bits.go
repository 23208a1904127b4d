package webpenc

// bitWriter packs bits least significant first, as VP8L reads them.
type bitWriter struct {
	bytes []byte
	acc   uint64
	n     uint
}

func (w *bitWriter) write(v uint32, nbits uint) {
	w.acc |= uint64(v) << w.n
	w.n += nbits
	for w.n >= 8 {
		w.bytes = append(w.bytes, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

func (w *bitWriter) flush() []byte {
	if w.n > 0 {
		w.bytes = append(w.bytes, byte(w.acc))
		w.acc, w.n = 0, 0
	}
	return w.bytes
}
