//go:build !linux

package timerslack

import "time"

func current() (time.Duration, error) { return 0, ErrUnsupported }

func execWith(time.Duration) error { return ErrUnsupported }
