// Package jpegscale decodes baseline JPEG images at a half, a quarter or an
// eighth of their size straight from the DCT coefficients, as libjpeg's
// scaled decoding does: each 8×8 block becomes a 4×4, 2×2 or 1×1 block
// through a reduced inverse DCT of its low frequencies, so the pixels a
// thumbnail does not need are never computed. The entropy-coded data must
// still be read in full, but coefficients that do not contribute are
// skipped without being dequantized or stored.
//
// Only the common variant is decoded: baseline and extended sequential
// Huffman-coded JPEGs (SOF0, SOF1) with 8-bit samples, grey or YCbCr, with
// the chroma sampling of image.YCbCr (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1,
// 4:1:0). Everything else (progressive, arithmetic-coded, lossless, 12-bit,
// CMYK, RGB-coded JPEGs) is reported as ErrUnsupported, so that a caller
// can fall back to image/jpeg. Truncated entropy-coded data decodes as
// grey, as libjpeg does, rather than failing.
//
// The decoder is written for hostile input: sizes are checked against
// Options.MaxPixels before any pixel memory is allocated, table definitions
// are validated, and it never panics.
package jpegscale
