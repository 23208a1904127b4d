package s3test

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the gateway die with the test binary, should it be
// killed (a test timeout) before TestMain stops the gateway.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
