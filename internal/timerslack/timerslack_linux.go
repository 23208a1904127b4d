package timerslack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
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

func threads(pid int) (map[int]time.Duration, error) {
	tasks, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
	if err != nil {
		return nil, fmt.Errorf("timer slack: %w", err)
	}
	slacks := make(map[int]time.Duration, len(tasks))
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", task.Name(), "timerslack_ns"))
		if errors.Is(err, fs.ErrNotExist) {
			continue // a thread that ended meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("timer slack of thread %d: %w", tid, err)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("timer slack of thread %d: %q", tid, b)
		}
		slacks[tid] = time.Duration(ns)
	}
	return slacks, nil
}
