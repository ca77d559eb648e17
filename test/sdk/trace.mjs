// Sends one three-level trace through the official langsmith JS SDK to the
// endpoint named by LANGSMITH_ENDPOINT, then flushes. The smithemu Go test
// (internal/smithemu/sdk_test.go) reads the trace back and checks its shape.
//
// Env: LANGSMITH_ENDPOINT (required), LANGSMITH_API_KEY (default "lsv2_sdk_test"),
//      LANGSMITH_PROJECT (default "sdk-test").
import { Client } from "langsmith";
import { RunTree } from "langsmith/run_trees";

const apiUrl = process.env.LANGSMITH_ENDPOINT;
if (!apiUrl) {
  console.error("LANGSMITH_ENDPOINT is not set");
  process.exit(2);
}
const client = new Client({
  apiUrl,
  apiKey: process.env.LANGSMITH_API_KEY ?? "lsv2_sdk_test",
  callerOptions: { maxRetries: 0 },
});
const project = process.env.LANGSMITH_PROJECT ?? "sdk-test";

const root = new RunTree({
  name: "agent",
  run_type: "chain",
  inputs: { question: "what is 1+1? (café ☕)" },
  project_name: project,
  tags: ["sdk-test"],
  metadata: { user: "u1" },
  client,
});
await root.postRun();

const llm = root.createChild({
  name: "llm-call",
  run_type: "llm",
  inputs: { messages: [{ role: "user", content: "what is 1+1?" }] },
});
await llm.postRun();

const tool = llm.createChild({
  name: "calculator",
  run_type: "tool",
  inputs: { expression: "1+1" },
});
await tool.postRun();
// Flush the creates on their own so the ends below travel as patch parts.
await client.awaitPendingTraceBatches();

await tool.end(undefined, "calculator exploded");
await tool.patchRun();
await llm.end({ output: "2" });
await llm.patchRun();
await root.end({ answer: "2" });
await root.patchRun();
await client.awaitPendingTraceBatches();

console.log(JSON.stringify({ trace_id: root.trace_id, root: root.id, llm: llm.id, tool: tool.id }));
