// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package langsmithexporter // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter"

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/metadata"
	"github.com/tracebridge/tracebridge/internal/httpretry"
	"github.com/tracebridge/tracebridge/translator/langsmith"
)

const maxErrorBody = 4 << 10

var (
	opPost  = metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", "post")))
	opPatch = metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", "patch")))
)

// uploader is the exporterhelper push function: it turns assembled, self-describing spans into
// runs, uploads them as zstd multipart requests within the instance's limits, and classifies
// every answer in one place (classify). It knows nothing of parking or queueing.
type uploader struct {
	cfg        *Config
	logger     *zap.Logger
	telemetry  *metadata.TelemetryBuilder
	settings   component.TelemetrySettings
	baseURL    string
	userAgent  string
	options    langsmith.Options
	encoder    *zstd.Encoder
	deadLetter *deadLetter
	observer   Observer // nil unless a program embeds the exporter (observer.go)
	now        func() time.Time

	client *http.Client
	gate   *sendGate        // per-credential pacing and throttle waits, one for the process (sendgate.go)
	ledger *deliveredLedger // with a persistent queue: what was delivered (ledger.go)
	id     component.ID
	// credential is the digest of endpoint, tenant id and API key: the gate's key (gateKey).
	credential string

	limitsMu      sync.Mutex
	limits        *ingestLimits // nil until /info answered
	limitsRetryAt time.Time     // after a failed /info, when to ask again
	traces        traceRuns     // posts delivered per trace, for limits::max_runs_per_trace
	// batchOnly is sticky, as in the SDKs: once /runs/multipart answers 404 (or /info says the
	// instance has no multipart endpoint), every later request goes to /runs/batch.
	batchOnly atomic.Bool
	// noRunQuery is sticky too: once /runs/query is missing (404, 405) or switched off (501, or
	// /info's instance_flags.ch_query_enabled false), 409s are settled by splitting (runquery.go).
	noRunQuery atomic.Bool
	// stopping ends when a graceful stop begins (stopWaiting): the gate's waits end with it.
	stopping context.Context
	stop     context.CancelFunc

	buffers sync.Pool // *[]byte: request bodies before compression
	batches sync.Pool // *runBatch: one push's runs, their JSON and their spans
	bodies  sync.Pool // *pooledBody: compressed request bodies
}

func newUploader(cfg *Config, set exporter.Settings, tb *metadata.TelemetryBuilder) *uploader {
	// All queue consumers share one encoder: EncodeAll is safe for concurrent use and runs up
	// to as many compressions at once as the encoder's concurrency, so give it one per core.
	// Level and window by BenchmarkZstdBody (a 250-run body): SpeedDefault is half as fast for
	// 6 % smaller bodies; a 1 MiB window compresses to the same bytes as the default 8 MiB one,
	// and each encoder's history buffer shrinks to match (16 MiB less heap on two cores).
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false),
		zstd.WithWindowSize(1<<20), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
	u := &uploader{
		cfg:       cfg,
		logger:    set.Logger,
		telemetry: tb,
		settings:  set.TelemetrySettings,
		baseURL:   strings.TrimRight(cfg.ClientConfig.Endpoint, "/"),
		userAgent: fmt.Sprintf("tracebridge/%s (%s)", set.BuildInfo.Version, set.BuildInfo.Command),
		options: langsmith.Options{
			IDMode:                   cfg.RunIDMode,
			DefaultProject:           cfg.Project,
			ProjectResourceAttribute: cfg.ProjectFromResourceAttribute,
			ReservedProjects:         cfg.reservedProjects,
		},
		encoder:  enc,
		observer: cfg.observer,
		now:      time.Now,
		gate:     processGate,
		id:       set.ID,
		buffers:  sync.Pool{New: func() any { return new([]byte) }},
		batches:  sync.Pool{New: func() any { return new(runBatch) }},
		bodies:   sync.Pool{New: func() any { return new(pooledBody) }},
	}
	u.credential = credentialDigest(u.baseURL, cfg.TenantID, string(cfg.APIKey))
	u.stopping, u.stop = context.WithCancel(context.Background())
	if cfg.DeadLetterDirectory != "" {
		u.deadLetter = &deadLetter{dir: cfg.DeadLetterDirectory}
	}
	return u
}

// start creates the HTTP client. It is deferred till here because this is the only place the
// extensions are reachable, and auth, TLS and middlewares come from them.
func (u *uploader) start(ctx context.Context, host component.Host) error {
	cc := u.cfg.httpClientConfig()
	client, err := cc.ToClient(ctx, host.GetExtensions(), clientTelemetry(ctx, u.settings))
	if err != nil {
		return fmt.Errorf("create http client: %w", err)
	}
	u.client = client
	// The pace of this exporter's credential, from the gate every instance shares.
	if err := u.telemetry.RegisterExporterLangsmithGateRateCallback(func(_ context.Context, o metric.Float64Observer) error {
		o.Observe(u.gate.rate(u.gateKey()))
		return nil
	}); err != nil {
		return fmt.Errorf("register the gate rate metric: %w", err)
	}
	if q := u.cfg.QueueConfig.Get(); q != nil && q.StorageID != nil {
		if u.ledger, err = openLedger(ctx, host, *q.StorageID, u.id); err != nil {
			return err
		}
	}
	return nil
}

// shutdown closes the delivered ledger's storage client.
// stopWaiting ends every wait in the send gate, now and for good: exporterhelper flushes its
// queue at a graceful stop without retries, so a request the gate would hold back for a
// Retry-After or its key's pace goes back to exporterhelper instead, like any retry (kept by a
// persistent queue for the next start). Requests that need no wait are still sent.
func (u *uploader) stopWaiting() { u.stop() }

func (u *uploader) shutdown(ctx context.Context) error {
	if u.ledger == nil {
		return nil
	}
	return u.ledger.close(ctx)
}

// ledgerSent records runs as sent before their request goes out, and returns what records the
// answer. Without a persistent queue there is no ledger and nothing to record.
func (u *uploader) ledgerSent(ctx context.Context, runs []langsmith.Run) func(delivered bool) {
	if u.ledger == nil {
		return func(bool) {}
	}
	n, err := u.ledger.sent(ctx, runs)
	if err != nil {
		u.logger.Warn("runs not recorded as sent: after a crash their duplicates cost more requests", zap.Error(err))
		return func(bool) {}
	}
	return func(delivered bool) {
		if err := u.ledger.answered(ctx, n, delivered, runs); err != nil {
			u.logger.Warn("answer not recorded: after a crash these runs are sent again", zap.Error(err))
		}
	}
}

// ledgerDelivered records runs LangSmith was found to have as delivered, so that a restart
// does not send them again.
func (u *uploader) ledgerDelivered(ctx context.Context, runs []langsmith.Run) {
	if u.ledger == nil || len(runs) == 0 {
		return
	}
	if err := u.ledger.record(ctx, runs); err != nil {
		u.logger.Warn("runs found delivered not recorded: after a crash they are sent again", zap.Error(err))
	}
}

// settleInFlight handles a 409 on runs[lo:hi] that a previous process had in flight when it
// died (ledger.go). All from one such request, that request was most likely processed and
// every run is a duplicate: each is sent alone (n requests, where halving costs 2n-1). From
// several, the range is split along them first. It reports whether it handled the 409.
func (u *uploader) settleInFlight(ctx context.Context, st *pushState, lo, hi int) bool {
	if u.ledger == nil || len(u.ledger.maybe) == 0 {
		return false
	}
	runs := st.batch.runs[lo:hi]
	if u.ledger.inFlight(runs) {
		for i := lo; i < hi; i++ {
			u.sendRange(ctx, st, i, i+1)
		}
		return true
	}
	bounds := u.ledger.groupInFlight(runs, st.batch.spans[lo:hi])
	if len(bounds) < 2 {
		return false // one group of runs no earlier request had: split in halves
	}
	from := lo
	for _, b := range bounds {
		u.sendRange(ctx, st, from, lo+b)
		from = lo + b
	}
	return true
}

// skipDelivered drops from the batch the runs the delivered ledger says a previous process
// had delivered (a batch the persistent queue gave back after a crash).
func (u *uploader) skipDelivered(ctx context.Context, b *runBatch) {
	if u.ledger == nil || len(u.ledger.before) == 0 {
		return
	}
	skipped := b.filter(func(r *langsmith.Run) bool {
		// Only posts: a run can have several patches (Langfuse-style updates, live view, a
		// synthesized root's completion) under one id, and a later one carries new content.
		if !r.Patch && u.ledger.delivered(r) {
			u.settled(Conflicted, []langsmith.Run{*r}, 0, "")
			return false
		}
		return true
	})
	if skipped > 0 {
		u.telemetry.ExporterLangsmithRunsAlreadyDelivered.Add(ctx, int64(skipped))
	}
}

// pushTraces uploads every span of td as a run. Runs whose request failed with a retryable
// answer are handed back through consumererror.NewTraces, so exporterhelper retries only them;
// the rest are delivered, conflicted (already there) or dead-lettered.
func (u *uploader) pushTraces(ctx context.Context, td ptrace.Traces) error {
	batch := u.batches.Get().(*runBatch)
	defer u.batches.Put(batch)
	// Nothing of the runs outlives the push: requests are sent, dead letters written and retries
	// handed back as copies of the spans before it returns.
	defer batch.reset()
	u.translate(ctx, td, batch)
	u.skipDelivered(ctx, batch)
	limits := u.ingestLimits(ctx)
	u.skipKnownInFlight(ctx, batch)
	st := &pushState{batch: batch, zstd: limits.zstd}
	st.fresh = u.keepWithinLimits(ctx, st)
	var jobs []gateJob
	// Runs outside the start_time window go in requests of their own, so that LangSmith's
	// refusal of one of them cannot take in-window runs with it.
	for _, part := range [2][2]int{{0, st.fresh}, {st.fresh, len(batch.runs)}} {
		for lo := part[0]; lo < part[1]; {
			hi := part[0] + u.chunkEnd(batch.runs[part[0]:part[1]], lo-part[0], limits)
			jobs = append(jobs, gateJob{lo: lo, hi: hi, key: u.gateKey()})
			lo = hi
		}
	}
	send := func(j gateJob) []gateJob { return u.sendJob(ctx, st, j) }
	held := func(d time.Duration) {
		u.telemetry.ExporterLangsmithGateWaits.Add(ctx, 1)
		u.telemetry.ExporterLangsmithGateWaitTime.Add(ctx, d.Seconds())
	}
	// exporterhelper cancels no push's context at shutdown; the gate's waits end at the stop
	// (stopWaiting) instead. Requests in flight keep ctx: cutting one off proves nothing.
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(u.stopping, cancel)()
	for _, j := range u.gate.drive(waitCtx, jobs, send, held) {
		st.retry = append(st.retry, [2]int{j.lo, j.hi})
		st.retryErr = errors.Join(st.retryErr, fmt.Errorf("upload of %d runs not sent: %w", j.hi-j.lo, waitCtx.Err()))
	}
	if len(st.retry) > 0 {
		return consumererror.NewTraces(st.retryErr, batch.spansOf(st.retry))
	}
	if st.permanentErr != nil {
		return consumererror.NewPermanent(st.permanentErr)
	}
	return nil
}

// ingestLimits returns the instance's limits, asking /info until it has answered once. A failed
// ask is not repeated for infoRetryInterval, so an instance without /info costs one request a
// minute, not one per upload; the uploads meanwhile use the documented defaults.
func (u *uploader) ingestLimits(ctx context.Context) ingestLimits {
	u.limitsMu.Lock()
	defer u.limitsMu.Unlock()
	if u.limits != nil {
		return *u.limits
	}
	defaults := ingestLimits{runsPerRequest: defaultSizeLimit, bytesPerRequest: defaultSizeLimitBytes, multipart: true, zstd: true, runQuery: true}
	if now := u.now(); now.Before(u.limitsRetryAt) {
		return defaults
	}
	ctx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	limits, err := u.fetchLimits(ctx)
	if err != nil {
		u.limitsRetryAt = u.now().Add(infoRetryInterval)
		u.logger.Warn("LangSmith /info did not answer; using the documented default limits", zap.Error(err))
		return defaults
	}
	if !limits.multipart {
		u.batchOnly.Store(true)
	}
	if !limits.runQuery {
		u.noRunQuery.Store(true)
	}
	u.limits = &limits
	return limits
}

// chunkEnd returns the end of the request that starts at runs[lo]: at most runsPerRequest runs
// and, by the estimate of their encoded size, at most bytesPerRequest bytes. A single run over
// the byte limit still goes alone: LangSmith's 413 answer then sends it to the dead letters.
func (*uploader) chunkEnd(runs []langsmith.Run, lo int, limits ingestLimits) int {
	size := 0
	hi := lo
	for hi < len(runs) && hi-lo < limits.runsPerRequest {
		size += langsmith.EncodedSize(&runs[hi])
		if hi > lo && size > limits.bytesPerRequest {
			break
		}
		hi++
	}
	return hi
}

// pushState collects, across the requests of one push, what must be retried and why.
type pushState struct {
	batch        *runBatch
	retry        [][2]int // ranges of batch.runs to hand back for retry
	retryErr     error
	permanentErr error
	job          gateJob   // the request being sent: its credential and gate attempts
	deferred     []gateJob // throttled requests the gate re-sends after their wait
	zstd         bool      // the instance takes zstd bodies (/info instance_flags)
	fresh        int       // batch.runs[fresh:] are outside the start_time window
	queried      int       // > 0 while re-sending what a run query did not find (no second query)
}

// sendJob sends one request of the gate's; what was throttled comes back to the gate.
func (u *uploader) sendJob(ctx context.Context, st *pushState, j gateJob) []gateJob {
	if len(st.retry) > 0 {
		// The push already failed in a way the gate does not handle (a network error, or a
		// request throttled gateMaxAttempts times): keep the rest for exporterhelper's retry
		// instead of sending it into the same outage.
		st.retry = append(st.retry, [2]int{j.lo, j.hi})
		return nil
	}
	st.job, st.deferred = j, nil
	u.sendRange(ctx, st, j.lo, j.hi)
	return st.deferred
}

// gateKey names the credential a request goes out with: the gate paces each separately, and
// every exporter instance of the process sending with it (tenants sharing one LangSmith key)
// shares its pacing, as LangSmith counts them against one limit. It is a digest, so the key
// itself is kept nowhere else and cannot reach a log or a metric label.
func (u *uploader) gateKey() string {
	return u.credential
}

func credentialDigest(endpoint, tenantID, apiKey string) string {
	h := sha256.New()
	for _, part := range []string{endpoint, tenantID, apiKey} {
		// Length-prefixed, so no two different triples hash the same input.
		_ = binary.Write(h, binary.BigEndian, uint64(len(part)))
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sendRange uploads runs[lo:hi] in one request and acts on the answer, splitting the range on
// 409 (so each duplicate ends up alone and counts as delivered), on 413, and on 400/422 (so
// each refused run ends up alone and only it is dead-lettered).
func (u *uploader) sendRange(ctx context.Context, st *pushState, lo, hi int) {
	runs := st.batch.runs[lo:hi]
	multipart := !u.batchOnly.Load()
	settle := u.ledgerSent(ctx, runs)
	status, header, body, err := u.post(ctx, runs, multipart, st.zstd)
	settle(err == nil && classify(status, multipart) == delivered)
	if err != nil {
		if consumererror.IsPermanent(err) {
			// The runs cannot be encoded or sent as they are: no retry can help them, and a
			// permanent error joined into the retry error would make exporterhelper drop the
			// retryable ranges of this push too.
			u.refuse(ctx, st, runs, 0, err.Error(), reasonUnencodable)
			return
		}
		st.retry = append(st.retry, [2]int{lo, hi})
		st.retryErr = errors.Join(st.retryErr, err)
		return
	}
	outcome := classify(status, multipart)
	if outcome != retryable {
		u.gate.succeeded(st.job.key)
	}
	switch outcome {
	case delivered:
		u.countRuns(ctx, runs)
		u.settled(Delivered, runs, status, "")
	case conflict:
		if len(runs) == 1 {
			u.telemetry.ExporterLangsmithRunsConflicted.Add(ctx, 1)
			u.settled(Conflicted, runs, status, "")
			return
		}
		if u.settleByQuery(ctx, st, lo, hi) || u.settleInFlight(ctx, st, lo, hi) {
			return
		}
		mid := lo + len(runs)/2
		u.sendRange(ctx, st, lo, mid)
		u.sendRange(ctx, st, mid, hi)
	case tooLarge:
		if len(runs) == 1 {
			u.refuse(ctx, st, runs, status, body, reasonTooLarge)
			return
		}
		mid := lo + len(runs)/2
		u.sendRange(ctx, st, lo, mid)
		u.sendRange(ctx, st, mid, hi)
	case noMultipart:
		u.logger.Info("LangSmith has no /runs/multipart endpoint; using /runs/batch from now on")
		u.batchOnly.Store(true)
		u.sendRange(ctx, st, lo, hi)
	case retryable:
		u.telemetry.ExporterLangsmithRequestsThrottled.Add(ctx, 1, metric.WithAttributes(attribute.Int("status", status)))
		if wait, ok := u.gate.throttled(st.job.key, status, header, st.job.attempt); ok {
			st.deferred = append(st.deferred, gateJob{lo: lo, hi: hi, key: st.job.key, at: u.gate.now().Add(wait), attempt: st.job.attempt + 1})
			return
		}
		err := fmt.Errorf("upload of %d runs: HTTP %d: %s", len(runs), status, body)
		if delay, ok := httpretry.RetryAfter(header.Get("Retry-After"), u.now()); ok {
			err = exporterhelper.NewThrottleRetry(err, delay)
		}
		st.retry = append(st.retry, [2]int{lo, hi})
		st.retryErr = errors.Join(st.retryErr, err)
	case rejected:
		u.splitRejected(ctx, st, lo, hi, status, body)
	default:
		u.refuse(ctx, st, runs, status, body, refusalReason(status, body))
	}
}

// splitRejected acts on a 400 or 422 for runs[lo:hi]: a run alone is dead-lettered with its
// own reason; a request of several is split, the run the answer names first, else in halves,
// until each refused run stands alone and the others are delivered.
func (u *uploader) splitRejected(ctx context.Context, st *pushState, lo, hi, status int, body string) {
	runs := st.batch.runs[lo:hi]
	reason := refusalReason(status, body)
	if len(runs) == 1 {
		if lo < st.fresh {
			// A stale run was counted as isolated when it was set apart.
			u.telemetry.ExporterLangsmithRunsIsolated.Add(ctx, 1)
		}
		u.refuse(ctx, st, runs, status, body, reason)
		return
	}
	// Stale runs are split like any others: the stale set is drawn with a safety margin, so a
	// run LangSmith still takes can share a request with ones it refuses.
	if i := namedRun(runs, body); i >= 0 {
		for _, r := range [3][2]int{{lo + i, lo + i + 1}, {lo, lo + i}, {lo + i + 1, hi}} {
			if r[0] < r[1] {
				u.sendRange(ctx, st, r[0], r[1])
			}
		}
		return
	}
	mid := lo + len(runs)/2
	u.sendRange(ctx, st, lo, mid)
	u.sendRange(ctx, st, mid, hi)
}

// refuse handles runs LangSmith will never accept as sent: they go to the dead-letter
// directory with the reason, or, without one, are logged with it.
func (u *uploader) refuse(ctx context.Context, st *pushState, runs []langsmith.Run, status int, body, reasonKind string) {
	reason := fmt.Sprintf("LangSmith refused %d runs: HTTP %d: %s", len(runs), status, body)
	if status == 0 {
		reason = fmt.Sprintf("%d runs cannot be uploaded: %s", len(runs), body)
	}
	st.permanentErr = errors.Join(st.permanentErr, errors.New(reason))
	u.telemetry.ExporterLangsmithRunsDeadLettered.Add(ctx, int64(len(runs)), reasonAttr(reasonKind))
	if u.deadLetter == nil {
		u.logger.Error("runs refused permanently and dropped (set dead_letter_directory to keep them)",
			zap.String("reason", reason), zap.Int("runs", len(runs)))
		u.settled(Refused, runs, status, reason)
		return
	}
	path, err := u.deadLetter.write(reason, reasonKind, status, runs, u.now())
	if err != nil {
		u.logger.Error("runs refused permanently and could not be dead-lettered",
			zap.String("reason", reason), zap.Int("runs", len(runs)), zap.Error(err))
		u.settled(Refused, runs, status, reason)
		return
	}
	u.settled(DeadLettered, runs, status, reason)
	u.logger.Warn("runs refused permanently; written to the dead-letter directory",
		zap.String("reason", reason), zap.Int("runs", len(runs)), zap.String("file", path))
}

func (u *uploader) countRuns(ctx context.Context, runs []langsmith.Run) {
	var posts, patches int64
	for i := range runs {
		if runs[i].Patch {
			patches++
		} else {
			posts++
			if u.cfg.Limits.MaxRunsPerTrace > 0 {
				u.traces.add(runs[i].TraceID, 1)
			}
		}
	}
	if posts > 0 {
		u.telemetry.ExporterLangsmithRunsSent.Add(ctx, posts, opPost)
	}
	if patches > 0 {
		u.telemetry.ExporterLangsmithRunsSent.Add(ctx, patches, opPatch)
	}
}

// post sends runs in one request and returns the answer's status, headers and (start of) body.
// A transport error is returned as is: exporterhelper retries it.
func (u *uploader) post(ctx context.Context, runs []langsmith.Run, multipart, compress bool) (int, http.Header, string, error) {
	body := getBody(&u.bodies)
	defer body.release()
	path, contentType := "/runs/batch", "application/json"
	if multipart {
		boundary := newBoundary()
		size, err := u.encodeMultipart(body, boundary, runs, compress)
		if err != nil {
			return 0, nil, "", consumererror.NewPermanent(fmt.Errorf("encode multipart body: %w", err))
		}
		u.telemetry.ExporterLangsmithRequestBytesUncompressed.Add(ctx, int64(size))
		path, contentType = "/runs/multipart", langsmith.MultipartContentType(boundary)
	} else {
		body.buf = langsmith.AppendBatchJSON(body.buf[:0], runs)
		u.telemetry.ExporterLangsmithRequestBytesUncompressed.Add(ctx, int64(len(body.buf)))
	}
	u.telemetry.ExporterLangsmithRequestBytesCompressed.Add(ctx, int64(len(body.buf)))

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.baseURL+path, nil)
	if err != nil {
		return 0, nil, "", consumererror.NewPermanent(fmt.Errorf("build upload request: %w", err))
	}
	req.Body, _ = body.reader() // cannot fail: post holds a reference until it returns
	req.GetBody = body.reader
	req.ContentLength = int64(len(body.buf))
	req.Header.Set("Content-Type", contentType)
	if multipart && compress {
		req.Header.Set("Content-Encoding", "zstd")
	}
	u.setHeaders(req.Header)
	resp, err := u.do(req)
	if err != nil {
		return 0, nil, "", fmt.Errorf("upload of %d runs: %w", len(runs), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	// Drain the rest so the connection can be reused.
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header, strings.TrimSpace(string(answer)), nil
}

// encodeMultipart writes the multipart body of runs into body, zstd-compressed if compress,
// and returns its size before compression. An uncompressed body (an older self-hosted instance
// takes no zstd: /info says so) is written straight into the request's buffer; a compressed
// one into a buffer of the uploader's, which EncodeAll reads.
func (u *uploader) encodeMultipart(body *pooledBody, boundary string, runs []langsmith.Run, compress bool) (int, error) {
	var err error
	if !compress {
		body.buf, err = langsmith.AppendMultipart(body.buf[:0], boundary, runs)
		return len(body.buf), err
	}
	raw := u.buffers.Get().(*[]byte)
	defer u.buffers.Put(raw)
	if *raw, err = langsmith.AppendMultipart((*raw)[:0], boundary, runs); err != nil {
		return 0, err
	}
	body.buf = u.encoder.EncodeAll(*raw, body.buf[:0])
	return len(*raw), nil
}

func (u *uploader) setHeaders(h http.Header) {
	if u.cfg.APIKey != "" {
		h.Set("X-API-Key", string(u.cfg.APIKey))
	}
	if u.cfg.TenantID != "" {
		h.Set("X-Tenant-Id", u.cfg.TenantID)
	}
	h.Set("User-Agent", u.userAgent)
}

// newBoundary returns a fresh multipart boundary: the 32 hex digits of a random UUID, as the
// Python SDK spells it (uuid4().hex), so 4 bytes a part shorter than the UUID's dashed form.
func newBoundary() string {
	id := uuid.New()
	return hex.EncodeToString(id[:])
}
