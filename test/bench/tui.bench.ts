// The TUI under load: decisions per second it absorbs while a keypress still shows within 100 ms,
// memory after a million decisions, and launch → first full frame (in-process and as a real process).
import { createElement } from 'react';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { render } from 'ink-testing-library';
import { App } from '../../components/App.tsx';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { decision, deny, RecordingHost, sandbox, TestGateway } from '../unit/tui/fixtures.ts';
import { median } from './stats.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function mount(gw: TestGateway | EmbeddedGateway) {
  const r = render(createElement(App, { gateway: gw, host: new RecordingHost() }));
  Object.defineProperty(r.stdout, 'rows', { value: 40, configurable: true });
  r.stdout.emit('resize');
  return r;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<number> {
  const t = performance.now();
  while (!check()) {
    if (performance.now() - t > timeoutMs) return Infinity;
    await new Promise((r) => setImmediate(r));
  }
  return performance.now() - t;
}

const p95 = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;

/** Streams `perSecond` decisions for ~1.5 s while toggling "denies only": keypress→frame latencies and the rate reached. */
async function latencyUnder(perSecond: number): Promise<{ latencies: number[]; achieved: number }> {
  const gw = new TestGateway();
  gw.sandboxes = [sandbox('alpha')];
  const r = mount(gw);
  await until(() => (r.lastFrame() ?? '').includes('alpha'));
  r.stdin.write('\t');
  await until(() => (r.lastFrame() ?? '').includes('▸ Traffic'));
  const perTick = Math.max(1, Math.round(perSecond / 200));
  let n = 0;
  const started = performance.now();
  const stream = setInterval(() => {
    for (let i = 0; i < perTick; i++) gw.events.emit('traffic', ++n % 4 === 0 ? deny() : decision());
  }, 5);
  const latencies: number[] = [];
  for (let i = 0; i < 12; i++) {
    await sleep(100);
    const want = i % 2 === 0;
    r.stdin.write('v');
    latencies.push(await until(() => (r.lastFrame() ?? '').includes('denies only') === want));
  }
  clearInterval(stream);
  const achieved = n / ((performance.now() - started) / 1000);
  r.unmount();
  return { latencies, achieved };
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function memoryAfter(events: number): Promise<{ before: number; after: number; shown: boolean }> {
  const gw = new TestGateway();
  gw.sandboxes = [sandbox('alpha')];
  const r = mount(gw);
  await until(() => (r.lastFrame() ?? '').includes('alpha'));
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < events; i++) {
    gw.events.emit('traffic', i % 4 === 0 ? deny({ host: `h${i}.example` }) : decision({ host: `h${i}.example` }));
    if (i % 50_000 === 0) await sleep(1);
  }
  await sleep(300);
  gc();
  const after = process.memoryUsage().heapUsed;
  const shown = (r.lastFrame() ?? '').includes(`h${events - 1}`);
  r.unmount();
  return { before, after, shown };
}

function processLaunch(): Promise<number> {
  const t = performance.now();
  const steps = [['expect', '● healthy'], ['send', 'q']];
  return new Promise((resolve) => {
    execFile('python3', [`${ROOT}test/fixtures/pty-drive.py`, JSON.stringify(steps), `${ROOT}bin/openshell`], () => resolve(performance.now() - t));
  });
}

export async function run(): Promise<void> {
  let sustained = 0;
  for (const rate of [1_000, 10_000, 50_000, 100_000, 200_000, 400_000]) {
    const { latencies: lat, achieved } = await latencyUnder(rate);
    console.log(
      `offered ${String(rate).padStart(7)}/s, absorbed ${Math.round(achieved).toLocaleString('en').padStart(9)}/s: keypress → frame median ${median(lat).toFixed(1)} ms, p95 ${p95(lat).toFixed(1)} ms`,
    );
    if (p95(lat) < 100) sustained = Math.max(sustained, achieved);
  }
  console.log(`absorbs ${Math.round(sustained).toLocaleString('en')} decisions/s with keypress → frame p95 < 100 ms`);

  const mem = await memoryAfter(1_000_000);
  console.log(
    `heap after 1,000,000 decisions: +${((mem.after - mem.before) / 1e6).toFixed(1)} MB over the idle TUI (${(mem.after / 1e6).toFixed(1)} MB total); newest on screen: ${mem.shown}`,
  );

  const t = performance.now();
  const r = mount(new EmbeddedGateway('local'));
  await until(() => /healthy|unreachable/.test(r.lastFrame() ?? ''), 10_000);
  const first = performance.now() - t;
  r.unmount();
  console.log(`render → first full frame with the real local gateway (in-process): ${first.toFixed(0)} ms`);
  const launches = [await processLaunch(), await processLaunch(), await processLaunch()];
  console.log(`\`openshell\` in a pty, launch → first full frame → q → exit: median ${median(launches).toFixed(0)} ms`);
}
