package main

import (
	"fmt"
	"os"
	"strings"
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
