package smithemu

import (
	"time"

	"go.uber.org/zap"
)

// Defaults mirror what a LangSmith deployment advertises on /info and the
// limits documented for the hosted service.
const (
	DefaultSizeLimit       = 100
	DefaultSizeLimitBytes  = 20 << 20 // 20 MiB, /info batch_ingest_config.size_limit_bytes
	DefaultSizeSlackBytes  = 1 << 20  // room for multipart framing on top of the SDK-side budget
	DefaultMaxRunsPerTrace = 25000
	DefaultTimeWindow      = 24 * time.Hour
)

// Config configures a Server. Start from DefaultConfig; the zero value is also
// usable (limits fall back to the defaults above, time-window check off).
type Config struct {
	// APIKeys maps each accepted x-api-key to the project it is bound to
	// ("" = may write to any project). Empty map: authentication is off.
	APIKeys map[string]string

	// SizeLimit is /info batch_ingest_config.size_limit (ops per batch hint).
	SizeLimit int
	// SizeLimitBytes is /info size_limit_bytes and the body cap: a raw or
	// decompressed body larger than SizeLimitBytes+SizeSlackBytes gets 413.
	SizeLimitBytes int64
	SizeSlackBytes int64

	// DisableMultipart answers 404 on /runs/multipart, as an old deployment
	// would, so clients exercise their /runs/batch fallback.
	DisableMultipart bool
	// AdvertiseNoMultipart makes /info say use_multipart_endpoint:false.
	AdvertiseNoMultipart bool
	// DisableZstd makes /info say zstd_compression_enabled:false (zstd
	// bodies are still decoded).
	DisableZstd bool
	// GzipBodyEnabled makes /info say gzip_body_enabled:true (the JS SDK
	// then gzips multipart bodies).
	GzipBodyEnabled bool

	// MaxRunsPerTrace caps distinct runs per trace (0 = 25,000).
	MaxRunsPerTrace int

	// CheckTimeWindow rejects runs whose start_time is further than
	// TimeWindow (0 = 24h) from Now.
	CheckTimeWindow bool
	TimeWindow      time.Duration

	// Now is the clock for the time window and the rate limiter (nil = time.Now).
	Now func() time.Time

	// Logger receives one debug line per request and an info line per
	// rejection (nil = no logs).
	Logger *zap.Logger

	// OnTraceComplete, if set, is called (outside the server's lock, before
	// the response is written) whenever a trace becomes complete: its root
	// has ended and every known run of the trace has ended. It is called
	// again each time a complete trace changes.
	OnTraceComplete func(project string, root *TreeNode)
}

// DefaultConfig returns the configuration of a stock deployment: no auth,
// 20 MiB bodies, multipart and zstd advertised, 24 h time window on.
func DefaultConfig() Config {
	return Config{
		SizeLimit:       DefaultSizeLimit,
		SizeLimitBytes:  DefaultSizeLimitBytes,
		SizeSlackBytes:  DefaultSizeSlackBytes,
		MaxRunsPerTrace: DefaultMaxRunsPerTrace,
		CheckTimeWindow: true,
		TimeWindow:      DefaultTimeWindow,
	}
}

func (c *Config) applyDefaults() {
	if c.SizeLimit <= 0 {
		c.SizeLimit = DefaultSizeLimit
	}
	if c.SizeLimitBytes <= 0 {
		c.SizeLimitBytes = DefaultSizeLimitBytes
	}
	if c.SizeSlackBytes < 0 {
		c.SizeSlackBytes = 0
	}
	if c.MaxRunsPerTrace <= 0 {
		c.MaxRunsPerTrace = DefaultMaxRunsPerTrace
	}
	if c.TimeWindow <= 0 {
		c.TimeWindow = DefaultTimeWindow
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}
