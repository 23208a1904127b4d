package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procStat returns the fields of /proc/<pid>/stat that follow the command
// name, the state first: the name, in parentheses, may hold spaces, so the
// fields are counted from after its last ')'.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:]), nil
}

// cpuTime reads the user and system CPU time process pid has used so far:
// fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on
// Linux). It skips the test where there is no /proc.
func cpuTime(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	f, err := procStat(pid)
	if err != nil {
		tb.Fatal(err)
	}
	if len(f) < 13 {
		tb.Fatalf("short /proc/%d/stat: %q", pid, f)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
