// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

const (
	// defaultQueueSpans is the default `sending_queue::queue_size`, in spans (the items sizer):
	// the queue counts a span from the moment it is queued until its upload is done, so it
	// bounds everything released and not yet delivered (queued, batched and in flight). 25,000
	// LLM-sized spans (~1.6 KB of pdata each) are ~40 MB, the bound the earlier default of 100
	// requests gave with requests of 250 such spans; exporterhelper's 1000 requests let the live
	// heap reach memory_limiter's soft limit under a sustained overload, where it refused
	// everything until a forced GC, before this queue pushed back. Counted in spans, the bound
	// holds whatever the requests' size, and one-record requests no longer fill the queue at 100
	// spans (at 3k records/s the full-queue path ran on every request).
	defaultQueueSpans = 25_000
	// requestsQueueSize is the default `queue_size` when `sizer: requests` is set without one:
	// the earlier default, so that choosing that sizer keeps how the queue behaved rather than taking
	// 25,000 requests.
	requestsQueueSize = 100
)

// unmarshalQueueSize gives `sizer: requests` without a `queue_size` its own default.
func unmarshalQueueSize(conf *confmap.Conf, cfg *Config) {
	q := cfg.QueueConfig.Get()
	if q == nil || q.Sizer != exporterhelper.RequestSizerTypeRequests {
		return
	}
	if conf.IsSet("sending_queue::sizer") && !conf.IsSet("sending_queue::queue_size") {
		q.QueueSize = requestsQueueSize
	}
}

// batchLimit is the most spans the assembler may hand the queue in one batch (0: no limit). A
// queue sized in items refuses a request larger than its capacity, retryably and forever, so
// releases are cut to queue_size; and to batch::max_size, since the batcher would split a
// larger one anyway, so that a cut part is one upload's worth.
func batchLimit(q *exporterhelper.QueueBatchConfig) int {
	if q == nil || q.Sizer != exporterhelper.RequestSizerTypeItems {
		return 0
	}
	n := q.QueueSize
	if b := q.Batch.Get(); b != nil && b.Sizer == exporterhelper.RequestSizerTypeItems && b.MaxSize > 0 {
		n = min(n, b.MaxSize)
	}
	return int(n)
}

// validateQueue rules out the queue settings under which a released batch could block the
// assembler or be refused for good: the assembler hands each released batch to the queue once
// and must not wait on an upload, nor hold a batch the queue can never take.
func validateQueue(q *exporterhelper.QueueBatchConfig) error {
	if q == nil {
		return errors.New("`sending_queue` must stay enabled: assembled runs wait in it for upload")
	}
	var errs error
	if q.WaitForResult {
		errs = errors.Join(errs, errors.New("`sending_queue::wait_for_result` is not supported: the assembler must not wait on uploads"))
	}
	if q.BlockOnOverflow {
		errs = errors.Join(errs, errors.New("`sending_queue::block_on_overflow` is not supported: a full queue makes receivers answer 503 instead"))
	}
	// With items, exporterhelper's own Validate refuses a batch::min_size above queue_size (the
	// queue counts a span until its upload is done, so such a batch would never fill); a larger
	// batch::max_size is harmless, as releases are cut to min(queue_size, batch::max_size).
	switch q.Sizer {
	case exporterhelper.RequestSizerTypeItems, exporterhelper.RequestSizerTypeRequests:
	default:
		errs = errors.Join(errs, fmt.Errorf("`sending_queue::sizer` must be `items` (the default) or `requests`, not %q: the assembler cuts released batches to fit a capacity in spans, but a batch's size in bytes is known only once it is encoded", q.Sizer.String()))
	}
	return errs
}
