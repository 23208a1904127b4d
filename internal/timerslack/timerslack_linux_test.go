package timerslack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// childEnv makes the test binary, run again by TestExecSetsEveryThread,
// play the program that re-executes itself.
const childEnv = "TIMERSLACK_TEST_CHILD"

// wanted is a slack no system sets by itself.
const wanted = 3*time.Millisecond + 7

// TestExecSetsEveryThread runs a child that calls Exec and expects it to
// come back in the same process with the slack on its thread and, where
// the threads of a process may be read (CAP_SYS_NICE), on every thread:
// the runtime's monitor among them, which no code of the program could
// set otherwise. The child, re-executed, then asks for another slack,
// which Exec must refuse.
func TestExecSetsEveryThread(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		beChild()
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a loop of execs ends
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestExecSetsEveryThread$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var pids []string
	var slack string
	var threads, others int
	refused := false
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "pid":
			pids = append(pids, f[1])
		case len(f) == 2 && f[0] == "slack":
			slack = f[1]
		case len(f) == 3 && f[0] == "thread":
			threads++
			if f[2] != strconv.FormatInt(wanted.Nanoseconds(), 10) {
				t.Errorf("thread %s has a slack of %s ns, want %d", f[1], f[2], wanted.Nanoseconds())
			}
			if f[1] != strconv.Itoa(cmd.Process.Pid) {
				others++
			}
		case len(f) == 1 && f[0] == "second-exec-refused":
			refused = true
		case len(f) > 0 && f[0] == "threads-unreadable":
			t.Logf("the child's other threads could not be read (%s): only its own is checked", strings.Join(f[1:], " "))
		}
	}
	if len(pids) != 2 || pids[0] != pids[1] {
		t.Fatalf("pids before and after exec: %v, want the same one twice\n%s", pids, out)
	}
	if slack != strconv.FormatInt(wanted.Nanoseconds(), 10) {
		t.Fatalf("slack after exec %q, want %d\n%s", slack, wanted.Nanoseconds(), out)
	}
	if !refused {
		t.Errorf("a second Exec was not refused: a system that does not keep the slack would loop\n%s", out)
	}
	if threads > 0 && others == 0 {
		t.Errorf("only the main thread was read: %d threads\n%s", threads, out)
	}
}

func beChild() {
	fmt.Println("pid", os.Getpid())
	cur, err := Current()
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if cur != wanted {
		err := Exec(wanted)
		fmt.Println("error exec returned:", err)
		os.Exit(1)
	}
	fmt.Println("slack", cur.Nanoseconds())
	if err := Exec(wanted + 1); err != nil {
		fmt.Println("second-exec-refused")
	}
	slacks, err := Threads(os.Getpid())
	if errors.Is(err, fs.ErrPermission) {
		fmt.Println("threads-unreadable", err)
		return
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for tid, slack := range slacks {
		fmt.Println("thread", tid, slack.Nanoseconds())
	}
}

// TestExecRefusesNonPositive: a zero or negative slack is a mistake of
// the caller, refused before anything changes.
func TestExecRefusesNonPositive(t *testing.T) {
	before, err := Current()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{0, -time.Millisecond} {
		if err := Exec(d); err == nil {
			t.Errorf("Exec(%v) returned no error", d)
		}
	}
	if after, _ := Current(); after != before {
		t.Errorf("slack %v after refused calls, was %v", after, before)
	}
}
