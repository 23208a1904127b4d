// Package timerslack lets a process run with a larger timer slack: the
// time by which Linux may delay the end of a sleep to wake it with
// another.
//
// The Go runtime's monitor thread (sysmon) sleeps 20 µs at a time for a
// while after a goroutine enters a system call when every processor was
// idle: in a server that answers one request at a time, that is at the
// start of every request, and it woke that thread three times per list
// request on this project's test machine. Each wake-up is a context
// switch, dear in a virtual machine. With a slack of a millisecond those
// sleeps end together with other wake-ups, at most one per millisecond.
//
// A thread takes its slack from the thread that made it, and the runtime
// makes its monitor before any code of a program runs: only a process
// started with the slack has it on every thread. Exec starts the program
// again in the same process, with the slack.
package timerslack

import (
	"errors"
	"time"
)

// ErrUnsupported is returned where the system has no timer slack to set
// (every system but Linux).
var ErrUnsupported = errors.New("timer slack: not supported on this system")

// Current returns the timer slack of the calling thread.
func Current() (time.Duration, error) { return current() }

// Threads returns the timer slack of every thread of process pid, by
// thread ID. Reading another process's takes CAP_SYS_NICE: without it the
// error wraps fs.ErrPermission.
func Threads(pid int) (map[int]time.Duration, error) { return threads(pid) }

// Exec replaces the program of the process with the same executable,
// arguments and environment, running with the given timer slack on every
// thread. It returns only when that fails: the process goes on as it was.
//
// Call it on the main thread (lock the main goroutine to it in an init
// function): the thread that calls execve is the one the new program
// keeps, with its attributes, and a thread other than the main one lacks
// some that the process was started with, such as the signal it gets when
// its parent dies.
//
// A process re-executed once is not again, so that a system that does
// not keep the slack (it keeps none for real-time threads) cannot make a
// caller that checks Current loop.
func Exec(slack time.Duration) error { return execWith(slack) }

// execMarker is set in the environment of the program that Exec starts.
const execMarker = "STOCKROOM_TIMERSLACK_EXECED"
