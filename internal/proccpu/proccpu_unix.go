// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package proccpu // import "github.com/tracebridge/tracebridge/internal/proccpu"

import (
	"syscall"
	"time"
)

// Self is this process's user and system CPU time, GC workers included.
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
