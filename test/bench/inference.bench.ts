// The privacy router: added latency on small requests and on the first streamed chunk versus calling
// the backend directly (the same stand-in server, keep-alive on both paths), and detector throughput.
import { Agent, request } from 'node:http';
import { compileConfig } from '../../core/inference/config.ts';
import { createScanner } from '../../core/inference/detectors.ts';
import { planRequest } from '../../core/inference/plan.ts';
import type { InferenceConfig } from '../../core/inference/types.ts';
import { startFakeLlm } from '../fixtures/llm/server.ts';
import { startRouter } from '../unit/inference/harness.ts';
import { median } from './stats.ts';

const N = Number(process.env.BENCH_REQUESTS ?? 500);
const pct = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Milliseconds to the response head, to the first body chunk, and to the end. */
function timed(url: string, body: string): Promise<{ head: number; first: number; end: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const head = performance.now() - t0;
      let first = 0;
      res.on('data', () => (first ||= performance.now() - t0));
      res.on('end', () => resolve({ head, first, end: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function series(url: string, body: string, n: number): Promise<{ head: number; first: number; end: number }[]> {
  for (let i = 0; i < 50; i++) await timed(url, body);
  const out = [];
  for (let i = 0; i < n; i++) out.push(await timed(url, body));
  return out;
}

function prompt100k(): string {
  const chunk =
    'We discussed the quarterly results on Tuesday and agreed to ship version 2.3.1 next week. ' +
    'function handle(req, res) { const id = req.params.userId; return db.query("SELECT * FROM users WHERE id = $1", [id]); }\n' +
    'commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 {"id": 12345, "uuid": "123e4567-e89b-12d3-a456-426614174000"}\n';
  return chunk.repeat(Math.ceil(100_000 / chunk.length)).slice(0, 100_000);
}

export async function run(): Promise<void> {
  const openai = await startFakeLlm({ protocol: 'openai', reply: 'ok' });
  const claude = await startFakeLlm({ protocol: 'anthropic', reply: 'one two three four five six', chunkDelayMs: 5 });
  const streaming = await startFakeLlm({ protocol: 'openai', reply: 'one two three four five six', chunkDelayMs: 5 });
  const config: InferenceConfig = {
    version: 1,
    backends: [
      { name: 'plain', protocol: 'openai', url: openai.url, privacy: 'public', priceIn: 1, priceOut: 1 },
      { name: 'stream', protocol: 'openai', url: streaming.url, privacy: 'public', priceIn: 1, priceOut: 1 },
      { name: 'claude', protocol: 'anthropic', url: claude.url, privacy: 'public', priceIn: 1, priceOut: 1 },
    ],
    routes: [
      { alias: 'small', backends: ['plain'] },
      { alias: 'stream', backends: ['stream'] },
      { alias: 'translated', backends: ['claude'] },
    ],
  };
  const router = await startRouter(config);
  try {
    const small = JSON.stringify({ model: 'small', max_tokens: 16, messages: [{ role: 'user', content: 'Say ok.' }] });
    const direct = await series(`${openai.url}/chat/completions`, small, N);
    const routed = await series(`${router.url}/v1/chat/completions`, small, N);
    const d50 = median(direct.map((r) => r.end));
    const r50 = median(routed.map((r) => r.end));
    console.log(`  small non-streaming request (${N}, keep-alive)`);
    console.log(`    direct        p50 ${d50.toFixed(3)} ms  p99 ${pct(direct.map((r) => r.end), 0.99).toFixed(3)} ms`);
    console.log(`    via router    p50 ${r50.toFixed(3)} ms  p99 ${pct(routed.map((r) => r.end), 0.99).toFixed(3)} ms  (${(r50 / d50).toFixed(2)}x)`);
    console.log(`    added p50     ${(r50 - d50).toFixed(3)} ms  (target < 2 ms: ${r50 - d50 < 2 ? 'met' : 'MISSED'})`);

    const M = Math.max(20, Math.floor(N / 10));
    const streamBody = (model: string): string => JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'Count to six.' }] });
    const sDirect = await series(`${streaming.url}/chat/completions`, streamBody('stream'), M);
    const sRouted = await series(`${router.url}/v1/chat/completions`, streamBody('stream'), M);
    const sTranslated = await series(`${router.url}/v1/chat/completions`, streamBody('translated'), M);
    const f = (xs: { first: number }[]): number => median(xs.map((x) => x.first));
    console.log(`  time to first streamed chunk (${M} streams, events 5 ms apart)`);
    console.log(`    direct                    p50 ${f(sDirect).toFixed(3)} ms`);
    console.log(`    via router, same protocol p50 ${f(sRouted).toFixed(3)} ms  (+${(f(sRouted) - f(sDirect)).toFixed(3)} ms)`);
    console.log(`    via router, Anthropic→OpenAI translated  p50 ${f(sTranslated).toFixed(3)} ms  (+${(f(sTranslated) - f(sDirect)).toFixed(3)} ms)`);
    console.log(`    whole stream: direct ${median(sDirect.map((x) => x.end)).toFixed(1)} ms, routed ${median(sRouted.map((x) => x.end)).toFixed(1)} ms`);
  } finally {
    await router.close();
    await Promise.all([openai.close(), claude.close(), streaming.close()]);
    agent.destroy();
  }

  const text = prompt100k();
  const scanner = createScanner();
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    scanner.scan(text);
    if (i >= 20) times.push(performance.now() - t);
  }
  const compiled = compileConfig(config);
  if (!compiled.ok) throw new Error(compiled.error);
  const body = { model: 'small', messages: [{ role: 'user', content: text }] };
  const planTimes: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    planRequest(compiled.compiled, 'chat', body, { spentUsd: 0, down: new Set() });
    if (i >= 10) planTimes.push(performance.now() - t);
  }
  const mbps = (ms: number): string => (0.1 / (ms / 1000)).toFixed(0);
  console.log('  detectors on a 100 KB prompt (prose, code, hashes, JSON)');
  console.log(`    scan           p50 ${median(times).toFixed(3)} ms = ${mbps(median(times))} MB/s  (target ≥ 50 MB/s: ${Number(mbps(median(times))) >= 50 ? 'met' : 'MISSED'})`);
  console.log(`    whole plan     p50 ${median(planTimes).toFixed(3)} ms = ${mbps(median(planTimes))} MB/s  (scan, rules, token estimate, backend choice)`);
}
