// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package proccpu // import "github.com/tracebridge/tracebridge/internal/proccpu"

import "time"

// Self is not measured here: it is 0, and so are the CPU figures built on it.
func Self() time.Duration { return 0 }
