package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/mediasvc"
)

// mediaFlags are the serve flags of previews, image decoding and similar
// images (-ffmpeg-path is in serveConfig).
type mediaFlags struct {
	similarityThreshold int
	maxImagePixels      int64
	previewConcurrency  int
}

// register adds the flags to fs, with their environment variables; a
// variable that does not parse is reported in badEnv under its flag.
func (f *mediaFlags) register(fs *flag.FlagSet, getenv func(string) string, badEnv map[string]string) {
	threshold := mediasvc.DefaultSimilarityThreshold
	if v := getenv("HASH_SIMILARITY_THRESHOLD"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > mediasvc.MaxSimilarityThreshold {
			badEnv["hash-similarity-threshold"] = fmt.Sprintf("HASH_SIMILARITY_THRESHOLD=%q is not a number from 0 to %d", v, mediasvc.MaxSimilarityThreshold)
		} else {
			threshold = n
		}
	}
	fs.IntVar(&f.similarityThreshold, "hash-similarity-threshold", threshold,
		fmt.Sprintf("largest perceptual-hash distance (of 64 bits, 0 to %d) at which two images count as similar (HASH_SIMILARITY_THRESHOLD)", mediasvc.MaxSimilarityThreshold))
	pixels := int64(imaging.DefaultMaxPixels)
	if v := getenv("MAX_IMAGE_PIXELS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			badEnv["max-image-pixels"] = fmt.Sprintf("MAX_IMAGE_PIXELS=%q is not a positive number", v)
		} else {
			pixels = n
		}
	}
	fs.Int64Var(&f.maxImagePixels, "max-image-pixels", pixels, "largest image (width × height) decoded for previews, rotation and hashing; larger ones are refused before decoding (MAX_IMAGE_PIXELS)")
	conc := 0
	if v := getenv("PREVIEW_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			badEnv["preview-concurrency"] = fmt.Sprintf("PREVIEW_CONCURRENCY=%q is not a number", v)
		} else {
			conc = n
		}
	}
	fs.IntVar(&f.previewConcurrency, "preview-concurrency", conc, "previews rendered at once; 0 means one per CPU (PREVIEW_CONCURRENCY)")
}

// check validates the values once parsed.
func (f *mediaFlags) check() error {
	if f.similarityThreshold < 0 || f.similarityThreshold > mediasvc.MaxSimilarityThreshold {
		return &usageError{fmt.Sprintf("-hash-similarity-threshold %d: must be from 0 to %d", f.similarityThreshold, mediasvc.MaxSimilarityThreshold)}
	}
	if f.maxImagePixels <= 0 {
		return &usageError{fmt.Sprintf("-max-image-pixels %d: must be positive", f.maxImagePixels)}
	}
	if f.previewConcurrency < 0 {
		return &usageError{fmt.Sprintf("-preview-concurrency %d: must not be negative", f.previewConcurrency)}
	}
	return nil
}

// apply puts the flags and the ffmpeg path into opts.
func (f *mediaFlags) apply(opts *stockroom.Options, ffmpegPath string) {
	threshold := f.similarityThreshold
	if threshold == 0 {
		threshold = -1 // mediasvc.Config's zero means the default; -1 means 0
	}
	opts.Media = mediasvc.Config{MaxPixels: f.maxImagePixels, SimilarityThreshold: threshold}
	opts.Previews = stockroom.PreviewOptions{Concurrency: f.previewConcurrency, FFmpegPath: ffmpegPath}
}
