package webpenc

import (
	"container/heap"
	"math/bits"
	"sort"
)

// prefixCode holds the code of every symbol of an alphabet, bit-reversed
// for writing least significant bit first, with its length.
type prefixCode struct {
	codes   []uint32
	lengths []uint8
}

func (c *prefixCode) put(bw *bitWriter, sym int) {
	if n := c.lengths[sym]; n > 0 {
		bw.write(c.codes[sym], uint(n))
	}
}

// codeLengthOrder is the order in which the lengths of the code-length code
// are written.
var codeLengthOrder = [19]int{17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// writePrefixCode writes the code of an alphabet with the given symbol
// counts and returns it. An alphabet with at most one used symbol (below
// 256) is written as a simple code, which costs no bits per symbol.
func writePrefixCode(bw *bitWriter, hist []int) prefixCode {
	used := 0
	last := 0
	for s, n := range hist {
		if n > 0 {
			used++
			last = s
		}
	}
	if used <= 1 {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		if last < 2 {
			bw.write(0, 1)
			bw.write(uint32(last), 1)
		} else {
			bw.write(1, 1)
			bw.write(uint32(last), 8)
		}
		return prefixCode{codes: make([]uint32, len(hist)), lengths: make([]uint8, len(hist))}
	}
	lengths := huffmanLengths(hist, 15)
	code := canonical(lengths)

	// The lengths, run-length coded: 0-15 literally, 17 and 18 for runs
	// of zeros.
	type token struct {
		sym   int
		extra uint32
		nbits uint
	}
	var tokens []token
	for i := 0; i < len(lengths); {
		l := lengths[i]
		run := 1
		for i+run < len(lengths) && lengths[i+run] == l {
			run++
		}
		if l == 0 && run >= 3 {
			for r := run; r > 0; {
				switch {
				case r >= 11:
					n := min(r, 138)
					tokens = append(tokens, token{18, uint32(n - 11), 7})
					r -= n
				case r >= 3:
					tokens = append(tokens, token{17, uint32(r - 3), 3})
					r = 0
				default:
					for range r {
						tokens = append(tokens, token{0, 0, 0})
					}
					r = 0
				}
			}
		} else {
			for range run {
				tokens = append(tokens, token{int(l), 0, 0})
			}
		}
		i += run
	}
	clHist := make([]int, 19)
	for _, t := range tokens {
		clHist[t.sym]++
	}
	distinct := 0
	for _, n := range clHist {
		if n > 0 {
			distinct++
		}
	}
	if distinct == 1 {
		// A code-length code needs two symbols to be a proper code;
		// give an unused one a count.
		for s := range clHist {
			if clHist[s] == 0 {
				clHist[s] = 1
				break
			}
		}
	}
	clLengths := huffmanLengths(clHist, 7)
	clCode := canonical(clLengths)
	n := 19
	for n > 4 && clLengths[codeLengthOrder[n-1]] == 0 {
		n--
	}
	bw.write(0, 1) // normal code
	bw.write(uint32(n-4), 4)
	for _, s := range codeLengthOrder[:n] {
		bw.write(uint32(clLengths[s]), 3)
	}
	bw.write(0, 1) // lengths for the whole alphabet
	for _, t := range tokens {
		clCode.put(bw, t.sym)
		if t.nbits > 0 {
			bw.write(t.extra, t.nbits)
		}
	}
	return code
}

// canonical assigns canonical codes (shorter first, then by symbol) to the
// lengths, bit-reversed for least-significant-first writing.
func canonical(lengths []uint8) prefixCode {
	var count [16]uint32
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	code := uint32(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	c := prefixCode{codes: make([]uint32, len(lengths)), lengths: lengths}
	for s, l := range lengths {
		if l > 0 {
			c.codes[s] = bits.Reverse32(next[l]) >> (32 - uint(l))
			next[l]++
		}
	}
	return c
}

type node struct {
	count       int
	sym         int // -1 for inner nodes
	left, right *node
}

type nodeHeap []*node

func (h nodeHeap) Len() int { return len(h) }
func (h nodeHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count < h[j].count
	}
	return h[i].sym < h[j].sym
}
func (h nodeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)   { *h = append(*h, x.(*node)) }
func (h *nodeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// huffmanLengths returns Huffman code lengths for the counts, none longer
// than limit: when the tree is too deep, counts are flattened and the tree
// built again. At least two symbols must have counts.
func huffmanLengths(counts []int, limit int) []uint8 {
	c := append([]int(nil), counts...)
	for {
		lengths, depth := buildLengths(c)
		if depth <= limit {
			return lengths
		}
		for i := range c {
			if c[i] > 0 {
				c[i] = (c[i] + 1) / 2
			}
		}
	}
}

func buildLengths(counts []int) ([]uint8, int) {
	h := &nodeHeap{}
	for s, n := range counts {
		if n > 0 {
			*h = append(*h, &node{count: n, sym: s})
		}
	}
	sort.Sort(h)
	heap.Init(h)
	seq := len(counts)
	for h.Len() > 1 {
		a := heap.Pop(h).(*node)
		b := heap.Pop(h).(*node)
		// Inner nodes get increasing tie-break keys after all symbols.
		heap.Push(h, &node{count: a.count + b.count, sym: seq, left: a, right: b})
		seq++
	}
	lengths := make([]uint8, len(counts))
	maxDepth := 0
	var walk func(n *node, d int)
	walk = func(n *node, d int) {
		if n.left == nil {
			lengths[n.sym] = uint8(d)
			maxDepth = max(maxDepth, d)
			return
		}
		walk(n.left, d+1)
		walk(n.right, d+1)
	}
	walk(heap.Pop(h).(*node), 0)
	return lengths, maxDepth
}
