#!/usr/bin/env bash
# `make run`: start otelcol-tracebridge with ./config.yaml and show it doing its job.
#
# With LANGSMITH_ENDPOINT and LANGSMITH_API_KEY set, runs go to that LangSmith. Without them, the
# local LangSmith emulator starts too, on 127.0.0.1:1984, prints each trace tree as it arrives and
# serves a waterfall page at http://127.0.0.1:1984/. A few sample traces are sent once the
# collector is healthy (set TRACEBRIDGE_DEMO=0 to skip them). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

export TRACEBRIDGE_DATA_DIR=${TRACEBRIDGE_DATA_DIR:-./tmp/data}
# A soft heap limit below memory_limiter's 400 MiB makes the Go runtime collect before the
# limiter has to refuse data (see the README's performance section).
export GOMEMLIMIT=${GOMEMLIMIT:-320MiB}
mkdir -p "$TRACEBRIDGE_DATA_DIR"
# The terminal shows the trace trees; the processes' own logs go to files.
logdir=${TRACEBRIDGE_LOG_DIR:-./tmp/logs}
mkdir -p "$logdir"
collector_log=$logdir/otelcol-tracebridge.log
emulator_log=$logdir/smithemu.log
pids=()
cleanup() {
  # Newest first: the collector flushes what it holds into the emulator before that stops.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

if [[ -z "${LANGSMITH_ENDPOINT:-}" ]]; then
  export LANGSMITH_ENDPOINT=http://127.0.0.1:1984
  export LANGSMITH_API_KEY=tracebridge-local
  echo "LANGSMITH_ENDPOINT is not set: starting the local LangSmith emulator on $LANGSMITH_ENDPOINT"
  echo "  trace trees print below; open $LANGSMITH_ENDPOINT/ to browse the runs"
  echo "  emulator log: $emulator_log"
  # stdout carries the trees, stderr the emulator's own log.
  ./bin/smithemu -addr 127.0.0.1:1984 -api-key "$LANGSMITH_API_KEY" \
    -collector-metrics http://localhost:8888/metrics 2>"$emulator_log" &
  pids+=($!)
else
  : "${LANGSMITH_API_KEY:?LANGSMITH_API_KEY must be set with LANGSMITH_ENDPOINT}"
  echo "exporting to LangSmith at $LANGSMITH_ENDPOINT"
fi

echo "collector log: $collector_log"
./bin/otelcol-tracebridge --config config.yaml >"$collector_log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS http://localhost:13133/ >/dev/null 2>&1; then break; fi
  sleep 0.2
done
if ! curl -fsS http://localhost:13133/ >/dev/null 2>&1; then
  echo "the collector did not become healthy; last lines of $collector_log:" >&2
  tail -n 20 "$collector_log" >&2
  exit 1
fi
echo "collector is up: OTLP on localhost:4317 (gRPC) and localhost:4318 (HTTP), raw records on localhost:4320"

if [[ "${TRACEBRIDGE_DEMO:-1}" != 0 ]]; then
  ./scripts/send-demo.sh || echo "sending the demo traces failed (see above)"
fi
wait -n "${pids[@]}"
