#!/usr/bin/env bash
# Sends a few sample traces to a running otelcol-tracebridge: one OTLP/HTTP agent trace whose
# children arrive before their parent, and raw Langfuse-style records of another trace.
set -euo pipefail
OTLP=${OTLP_HTTP_ENDPOINT:-http://localhost:4318}
RAW=${LANGFUSE_ENDPOINT:-http://localhost:4320}

now=$(date +%s%N)
ns() { echo $((now + $1 * 1000000)); } # now + N milliseconds, in unix nanoseconds
rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

trace=$(rand_hex 16)
root=$(rand_hex 8); llm=$(rand_hex 8); tool=$(rand_hex 8)
span() { # id parent name start_ms end_ms attributes-json
  local parent=""
  [[ -n "$2" ]] && parent="\"parentSpanId\":\"$2\","
  printf '{"traceId":"%s","spanId":"%s",%s"name":"%s","kind":1,"startTimeUnixNano":"%s","endTimeUnixNano":"%s","attributes":%s,"status":{}}' \
    "$trace" "$1" "$parent" "$3" "$(ns "$4")" "$(ns "$5")" "$6"
}
otlp() {
  printf '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"demo-agent"}}]},"scopeSpans":[{"scope":{"name":"demo"},"spans":[%s]}]}]}' "$1"
}
kv() { printf '{"key":"%s","value":{"stringValue":"%s"}}' "$1" "$2"; }
ki() { printf '{"key":"%s","value":{"intValue":"%s"}}' "$1" "$2"; }

llm_attrs="[$(kv gen_ai.operation.name chat),$(kv gen_ai.system openai),$(kv gen_ai.request.model gpt-4o),$(ki gen_ai.usage.input_tokens 42),$(ki gen_ai.usage.output_tokens 7),$(kv gen_ai.input.messages '[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"What is the weather in Paris?\"}]}]'),$(kv gen_ai.output.messages '[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Let me check.\"}]}]')]"
tool_attrs="[$(kv gen_ai.operation.name execute_tool),$(kv gen_ai.tool.name get_weather),$(kv input.value '{\"city\":\"Paris\"}'),$(kv output.value '{\"temp_c\":18}')]"
root_attrs="[$(kv langsmith.span.kind chain),$(kv input.value 'What is the weather in Paris?'),$(kv output.value 'It is 18°C in Paris.')]"

RAW_KEY=${TRACEBRIDGE_RAW_API_KEY:-tracebridge-local}
post() { curl -sS -X POST -H 'Content-Type: application/json' -H "X-API-Key: $RAW_KEY" --data-binary "$2" "$1" -o /dev/null -w "%{http_code}"; }

# Children first, as OpenTelemetry SDKs export them (a span leaves when it ends).
echo "OTLP: tool span   -> $(post "$OTLP/v1/traces" "$(otlp "$(span "$tool" "$root" get_weather 300 450 "$tool_attrs")")")"
echo "OTLP: llm span    -> $(post "$OTLP/v1/traces" "$(otlp "$(span "$llm" "$root" "chat gpt-4o" 10 290 "$llm_attrs")")")"
echo "OTLP: root span   -> $(post "$OTLP/v1/traces" "$(otlp "$(span "$root" "" weather-agent 0 500 "$root_attrs")")")"

raw_trace=$(rand_hex 16)
record() { # span_id name start_ms end_ms input output
  printf '{"user_id":"u-42","session_id":"sess-9","trace_id":"%s","trace_name":"wallet-agent","span_id":"%s","span_name":"%s","start_time_unix_nano":%s,"end_time_unix_nano":%s,"input":"%s","output":"%s","level":"INFO","error":false,"extra":{"chain":"ETH"}}' \
    "$raw_trace" "$1" "$2" "$(ns "$3")" "$(ns "$4")" "$5" "$6"
}
echo "raw:  record 1    -> $(post "$RAW/api/v1/telemetry/raw" "$(record "$(rand_hex 8)" "exec:caw balance" 0 120 'caw balance' '1.5 ETH')")"
echo "raw:  record 2    -> $(post "$RAW/api/v1/telemetry/raw" "$(record "$(rand_hex 8)" "exec:caw tx transfer" 150 600 'caw tx transfer --to 0xabc --amount 1' 'submitted')")"
