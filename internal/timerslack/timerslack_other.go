//go:build !linux

package timerslack

import "time"

func current() (time.Duration, error) { return 0, ErrUnsupported }

func execWith(time.Duration) error { return ErrUnsupported }

func threads(int) (map[int]time.Duration, error) { return nil, ErrUnsupported }
