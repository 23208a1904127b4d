package timerslack

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

func current() (time.Duration, error) {
	ns, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return 0, fmt.Errorf("timer slack: %w", err)
	}
	return time.Duration(ns), nil
}

func execWith(slack time.Duration) error {
	if slack <= 0 {
		return fmt.Errorf("timer slack: %v is not positive", slack)
	}
	if os.Getenv(execMarker) != "" {
		return fmt.Errorf("timer slack: the process was re-executed with a slack of %v already, and does not have it", slack)
	}
	// The slack is the calling thread's; the one that calls execve is the
	// one the new program starts on.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := current()
	if err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(slack.Nanoseconds()), 0, 0, 0); err != nil {
		return fmt.Errorf("timer slack: %w", err)
	}
	err = unix.Exec("/proc/self/exe", os.Args, append(os.Environ(), execMarker+"=1"))
	// Still here: put the thread back as it was, for the goroutines that
	// run on it next.
	unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(before.Nanoseconds()), 0, 0, 0)
	return fmt.Errorf("timer slack: exec: %w", err)
}
