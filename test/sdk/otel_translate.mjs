// Runs spans and runs through the official langsmith JS SDK's own OTel translation and prints
// the span attributes it produces, for translator/langsmith/sdk_compare_test.go:
//   - "runs": each run through LangSmithToOTELTranslator (the SDK in OTel mode: run → span
//     attributes, dist/experimental/otel/translator.js);
//   - "vercel": each Vercel AI SDK span's attributes through LangSmithOTLPTraceExporter.export
//     (ai.* → langsmith.* / gen_ai.*, dist/experimental/otel/exporter.js).
// Reads {"runs":[…],"vercel":[{"name","attributes","error"}]} on stdin, writes
// {"runs":[attrs…],"vercel":[attrs…]} on stdout.
import { register } from "node:module";

// The exporter extends @opentelemetry/exporter-trace-otlp-proto's OTLPTraceExporter, which the
// test does not need: a stub base class hands the transformed spans back instead of sending.
const stub = `export class OTLPTraceExporter {
  constructor() {}
  export(spans, cb) { globalThis.__exported = spans; cb({ code: 0 }); }
}`;
const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === "@opentelemetry/exporter-trace-otlp-proto") {
    return { url: "data:text/javascript," + encodeURIComponent(${JSON.stringify(stub)}), shortCircuit: true };
  }
  return next(specifier, context);
}`;
register("data:text/javascript," + encodeURIComponent(hooks), import.meta.url);
process.env.LANGSMITH_TRACING = "true";

const { LangSmithToOTELTranslator } = await import("./node_modules/langsmith/dist/experimental/otel/translator.js");
const { LangSmithOTLPTraceExporter } = await import("./node_modules/langsmith/dist/experimental/otel/exporter.js");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);

class FakeSpan {
  constructor(attributes = {}, status = { code: 0 }) {
    this.attributes = attributes;
    this.status = status;
  }
  setAttribute(k, v) { this.attributes[k] = v; }
  setAttributes(a) { Object.assign(this.attributes, a); }
  setStatus(s) { this.status = s; }
  recordException() {}
  end() {}
  updateName() {}
}

const translator = new LangSmithToOTELTranslator();
const runs = (req.runs ?? []).map((run) => {
  const span = new FakeSpan();
  translator.finishSpanSetup(span, run, { operation: "post", id: run.id, run });
  return span.attributes;
});

const exporter = new LangSmithOTLPTraceExporter({ projectName: undefined });
const vercel = [];
for (const s of req.vercel ?? []) {
  const span = new FakeSpan({ ...s.attributes }, { code: s.error ? 2 : 0 });
  await new Promise((resolve) => exporter.export([span], resolve));
  vercel.push(globalThis.__exported[0].attributes);
}
process.stdout.write(JSON.stringify({ runs, vercel }));
