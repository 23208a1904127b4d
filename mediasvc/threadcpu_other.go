//go:build !linux

package mediasvc

import "time"

// threadCPU is zero: the CPU time of a thread is read on Linux only.
func threadCPU() time.Duration { return 0 }
