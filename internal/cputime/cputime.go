// Package cputime reads the CPU time the process has used, for the
// benchmarks that report CPU per operation: on a machine that other work
// shares, a steadier measure than the time taken.
package cputime

import "time"

// Supported tells whether Process reads the CPU time on this system.
const Supported = supported

// Process returns the user and system CPU time of the process so far, or
// zero where the system does not tell.
func Process() time.Duration { return process() }
