package preview

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
)

// maxFrameBytes bounds the PNG frame ffmpeg writes.
const maxFrameBytes = 64 << 20

// renderVideo asks ffmpeg for a frame near one second in (the first frame
// of a shorter video) and makes the preview from it. ffmpeg reads the file
// in place when the store has a host path for it, else from a pipe (which
// works for streamable files). Failures and timeouts give a placeholder
// that is not cached.
func (s *Service) renderVideo(ctx context.Context, h blobstore.Hash, box Box) rendered {
	timeout := s.FFmpegTimeout
	if timeout <= 0 {
		timeout = DefaultFFmpegTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, at := range []string{"1", "0"} {
		frame, err := s.ffmpegFrame(ctx, h, at)
		if err == nil && len(frame) > 0 {
			r := s.renderImage(ctx, bytes.NewReader(frame), "image/png", box)
			if r.reason != "" {
				r.cacheable = false
			}
			return r
		}
		if ctx.Err() != nil {
			s.logger().Warn("ffmpeg timed out", "hash", h, "timeout", timeout)
			return failed("video-timeout", false)
		}
		if err != nil {
			s.logger().Debug("ffmpeg found no frame", "hash", h, "at", at, "err", err)
		}
	}
	return failed("video-undecodable", false)
}

// ffmpegFrame runs ffmpeg once and returns the PNG it writes.
func (s *Service) ffmpegFrame(ctx context.Context, h blobstore.Hash, at string) ([]byte, error) {
	input := "pipe:0"
	var stdin io.ReadCloser
	if s.LocalPaths != nil {
		if p, ok := s.LocalPaths.LocalPath(h); ok {
			if _, err := os.Stat(p); err == nil {
				input = p
			}
		}
	}
	if input == "pipe:0" {
		f, err := s.Blobs.Open(ctx, h)
		if err != nil {
			return nil, err
		}
		stdin = f
		defer f.Close()
	}
	args := []string{"-hide_banner", "-loglevel", "error"}
	if stdin == nil {
		args = append(args, "-nostdin") // no keyboard interaction
	}
	args = append(args, "-ss", at, "-i", input,
		"-frames:v", "1", "-an", "-sn", "-dn",
		"-f", "image2pipe", "-c:v", "png", "pipe:1")
	cmd := exec.CommandContext(ctx, s.FFmpegPath, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out limitedBuffer
	out.limit = maxFrameBytes
	cmd.Stdout = &out
	var stderr limitedBuffer
	stderr.limit = 4 << 10
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errors.New(err.Error() + ": " + stderr.String())
	}
	if out.over {
		return nil, errors.New("ffmpeg wrote a frame larger than allowed")
	}
	if _, err := png.DecodeConfig(bytes.NewReader(out.Bytes())); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// limitedBuffer keeps the first limit bytes written and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	limit int
	over  bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
