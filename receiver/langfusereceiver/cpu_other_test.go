// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package langfusereceiver

import "time"

// processCPU is not measured here; the benchmark then reports cpu-ns/record as 0.
func processCPU() time.Duration { return 0 }
