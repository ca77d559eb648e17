// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

package synthetic // import "github.com/tracebridge/tracebridge/internal/synthetic"

import "go.opentelemetry.io/collector/pdata/pcommon"

// The OTLP agent traces of tracebridge-loadgen's otlp mode (test/load's otlp-llm-100k workload):
// an invoke_agent root and chat children carrying gen_ai semconv messages of a few hundred bytes.
// The load generator and the benchmarks that stand for that workload build their spans from
// these, so a benchmark measures the spans the load sends.

// AgentScope is the instrumentation scope the agent spans come under.
const AgentScope = "tracebridge-loadgen"

const (
	chatInputMessages = `[{"role":"system","parts":[{"type":"text","content":"You are a wallet assistant. Answer briefly and never move funds without confirmation."}]},` +
		`{"role":"user","parts":[{"type":"text","content":"What did I spend on gas this week, and which transfer was the largest?"}]}]`
	chatOutputMessages = `[{"role":"assistant","parts":[{"type":"text","content":"You spent 0.012 ETH on gas across 9 transactions; the largest transfer was 1.5 ETH to 0xabc on Tuesday."}],"finish_reason":"stop"}]`
)

// PutAgentResource puts the agent service's resource attributes into m.
func PutAgentResource(m pcommon.Map) {
	m.PutStr("service.name", "wallet-agent")
	m.PutStr("service.version", "1.4.2")
	m.PutStr("deployment.environment.name", "load")
	m.PutStr("telemetry.sdk.language", "go")
}

// PutChatAttributes puts a chat call's gen_ai attributes into m, with its token usage.
func PutChatAttributes(m pcommon.Map, inputTokens, outputTokens int64) {
	m.PutStr("gen_ai.operation.name", "chat")
	m.PutStr("gen_ai.provider.name", "openai")
	m.PutStr("gen_ai.request.model", "gpt-4o-mini")
	m.PutStr("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
	m.PutStr("gen_ai.input.messages", chatInputMessages)
	m.PutStr("gen_ai.output.messages", chatOutputMessages)
	m.PutInt("gen_ai.usage.input_tokens", inputTokens)
	m.PutInt("gen_ai.usage.output_tokens", outputTokens)
	m.PutDouble("gen_ai.request.temperature", 0.2)
	m.PutStr("gen_ai.conversation.id", "conv-42")
}

// PutAgentRootAttributes puts the agent invocation's attributes into m.
func PutAgentRootAttributes(m pcommon.Map) {
	m.PutStr("gen_ai.operation.name", "invoke_agent")
	m.PutStr("gen_ai.agent.name", "wallet-agent")
	m.PutStr("gen_ai.conversation.id", "conv-42")
	m.PutStr("user.id", "user-7")
}
