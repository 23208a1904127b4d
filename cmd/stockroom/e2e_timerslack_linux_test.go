package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/timerslack"
)

// TestE2ETimerSlack: the server starts itself over in the same process so
// that every one of its threads, the Go runtime's monitor among them, has
// the -timer-slack; with -timer-slack 0 every thread keeps the slack the
// server was started with. Reading another process's threads' slack takes
// CAP_SYS_NICE: without it the test skips.
func TestE2ETimerSlack(t *testing.T) {
	inherited, err := timerslack.Current()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want time.Duration
	}{
		{"default", nil, nil, time.Millisecond},
		{"flag", []string{"-timer-slack", "3ms"}, nil, 3 * time.Millisecond},
		{"TIMER_SLACK", nil, []string{"TIMER_SLACK=2ms"}, 2 * time.Millisecond},
		{"off", []string{"-timer-slack", "0"}, nil, inherited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startServer(t, t.TempDir(), tc.env, append([]string{"-bind-address", "127.0.0.1:0", "-ephemeral"}, tc.args...)...)
			slacks := threadSlacks(t, p.cmd.Process.Pid)
			if len(slacks) < 2 {
				t.Fatalf("%d threads read, want the main one and the runtime's", len(slacks))
			}
			for tid, got := range slacks {
				if got != tc.want {
					t.Errorf("thread %d: slack %v, want %v", tid, got, tc.want)
				}
			}
			if tc.want != inherited && strings.Contains(p.stderr.String(), "timer slack") {
				t.Errorf("the server warned about its timer slack:\n%s", p.stderr)
			}
		})
	}
}

// threadSlacks reads the timer slack of every thread of process pid, or
// skips the test where that is not allowed.
func threadSlacks(t *testing.T, pid int) map[int]time.Duration {
	t.Helper()
	slacks, err := timerslack.Threads(pid)
	if errors.Is(err, fs.ErrPermission) {
		t.Skipf("reading another process's timer slack needs CAP_SYS_NICE: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return slacks
}
