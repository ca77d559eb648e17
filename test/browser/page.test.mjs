// Headless-browser test of the emulator's page: a run posted through the real ingestion API
// shows in the waterfall; clicking it opens the run with its inputs and outputs as a chat.
// Needs TRACEBRIDGE_SMITHEMU (the built bin/smithemu) and Debian's Chromium at
// CHROMIUM (default /usr/bin/chromium); `make browser-test` provides both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';

const KEY = 'browser-test-key';
let emu, base, browser;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// waitUp polls the emulator's /info until it answers; the emulator logs to stderr when up,
// but the HTTP answer is what the test needs.
async function waitUp(url, proc) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`smithemu exited with ${proc.exitCode}`);
    try {
      const r = await fetch(url + '/info');
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('smithemu did not answer within 15s');
}

before(async () => {
  const bin = process.env.TRACEBRIDGE_SMITHEMU;
  assert.ok(bin, 'TRACEBRIDGE_SMITHEMU must name the built smithemu (make browser-test sets it)');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  emu = spawn(bin, ['-addr', `127.0.0.1:${port}`, '-api-key', KEY], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitUp(base, emu);
  // The flags keep Chromium off the network it cannot reach here; playwright-core starts it
  // with a fresh temporary profile of its own.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  emu?.kill('SIGTERM');
});

function dotted(t, id) {
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}T${p(t.getUTCHours())}` +
    `${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}${p(t.getUTCMilliseconds(), 3)}000Z${id}`;
}

async function postRuns(runs) {
  const r = await fetch(base + '/runs/batch', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': KEY },
    body: JSON.stringify({ post: runs }),
  });
  assert.ok(r.ok, `POST /runs/batch answered ${r.status}: ${await r.text()}`);
}

test('the page opens a run and shows its inputs and outputs', async () => {
  const start = new Date(Date.now() - 2000);
  const rootId = randomUUID();
  const llmId = randomUUID();
  const iso = (ms) => new Date(start.getTime() + ms).toISOString();
  const rootDotted = dotted(start, rootId);
  await postRuns([
    {
      id: rootId, trace_id: rootId, dotted_order: rootDotted, name: 'weather-agent', run_type: 'chain',
      start_time: iso(0), end_time: iso(900), session_name: 'browser',
      inputs: { question: 'What is the weather in Paris?' }, outputs: { answer: 'It is 18°C in Paris.' },
    },
    {
      id: llmId, trace_id: rootId, parent_run_id: rootId, dotted_order: rootDotted + '.' + dotted(new Date(start.getTime() + 10), llmId),
      name: 'chat gpt-4o', run_type: 'llm', start_time: iso(10), end_time: iso(600), session_name: 'browser',
      inputs: { messages: [{ role: 'user', content: 'What is the weather in Paris?' }] },
      outputs: {
        messages: [{ role: 'assistant', content: 'Let me check the forecast.' }],
        usage_metadata: { input_tokens: 42, output_tokens: 7, total_tokens: 49 },
      },
      extra: { metadata: { ls_model_name: 'gpt-4o' } },
    },
  ]);

  const page = await browser.newPage();
  try {
    await page.goto(base + '/');
    // The waterfall refreshes itself; the locator is resolved again after each reload.
    await page.getByRole('link', { name: 'chat gpt-4o' }).click();
    await page.waitForURL(`**/ui/runs/${llmId}`);
    const inputs = page.locator('#inputs');
    const outputs = page.locator('#outputs');
    await inputs.locator('.msg.user').getByText('What is the weather in Paris?').waitFor();
    assert.match(await outputs.locator('.msg.assistant').innerText(), /Let me check the forecast\./);
    assert.match(await page.locator('#usage').innerText(), /"total_tokens": 49/);
    assert.match(await page.locator('#metadata').innerText(), /"ls_model_name": "gpt-4o"/);

    // Back to the list, then the root: plain JSON inputs and outputs.
    await page.getByRole('link', { name: '← all traces' }).click();
    await page.getByRole('link', { name: 'weather-agent' }).click();
    await page.waitForURL(`**/ui/runs/${rootId}`);
    assert.match(await page.locator('#inputs').innerText(), /"question": "What is the weather in Paris\?"/);
    assert.match(await page.locator('#outputs').innerText(), /"answer": "It is 18°C in Paris\."/);
  } finally {
    await page.close();
  }
});
