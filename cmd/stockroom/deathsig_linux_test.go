package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dieWithParent has the kernel kill cmd's process when the thread that
// starts it ends, which is when the test binary dies.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// orphanEnv makes TestServerDiesWithTestBinary's child start a server,
// print its process ID and wait to be killed.
const orphanEnv = "STOCKROOM_E2E_ORPHAN_CHILD"

// TestServerDiesWithTestBinary kills a test binary that has started a
// server, as a user stopping a benchmark from outside does (its cleanups
// never run), and expects the server to die with it.
func TestServerDiesWithTestBinary(t *testing.T) {
	if os.Getenv(orphanEnv) != "" {
		// Nothing removes a t.TempDir of a process killed: the server
		// runs in the system's, and keeps nothing.
		p := startServer(t, os.TempDir(), nil, "-ephemeral", "-bind-address", "127.0.0.1:0")
		// The server logs the request startServer made after answering
		// it; once that is written it writes nothing more, so that no
		// write to its closed stderr (SIGPIPE) kills it instead.
		for !strings.Contains(p.stderr.String(), "path=/v1/tags") {
			time.Sleep(10 * time.Millisecond)
		}
		fmt.Printf("server pid %d\n", p.cmd.Process.Pid)
		// Killed by the parent test; should it die first, its end of
		// stdin closes and this exits rather than hang.
		io.Copy(io.Discard, os.Stdin)
		os.Exit(1)
	}
	child := exec.Command(os.Args[0], "-test.run", "^TestServerDiesWithTestBinary$")
	child.Env = append(os.Environ(), orphanEnv+"=1", binaryEnv+"="+stockroomBinary(t))
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := child.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	var pid int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "server pid %d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("the child test printed no server pid: %v", sc.Err())
	}
	if !alive(pid) {
		t.Fatalf("server %d is not running while its test binary is", pid)
	}
	child.Process.Kill()
	child.Wait()
	deadline := time.Now().Add(exitTimeout)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("server %d still running %v after its test binary was killed", pid, exitTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether process pid runs: it exists and is not a zombie
// waiting for whoever inherited it to reap it.
func alive(pid int) bool {
	f, err := procStat(pid)
	return err == nil && len(f) > 0 && f[0] != "Z"
}
