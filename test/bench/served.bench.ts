// A served gateway's cost per call: `sandbox list` and `exec true` through HTTPS (pinned TLS, bearer token,
// a WebSocket per exec) versus the same calls on the embedded gateway, alternately in one run.
import { PassThrough } from 'node:stream';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import type { Gateway } from '../../core/gateway/types.ts';
import { startServedHost } from '../integration/served-host.ts';
import { median, timeMs } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 25);

export async function run(): Promise<void> {
  const host = await startServedHost();
  const served = host.client();
  const local = new EmbeddedGateway('local');
  const name = `bench-srv-${process.pid}`;
  await local.createSandbox({ name });
  const sink = (): PassThrough => new PassThrough().resume();
  const list = (g: Gateway) => () => g.listSandboxes();
  const exec = (g: Gateway) => () => g.exec(name, { cmd: ['true'], stdout: sink(), stderr: sink() });
  try {
    const t = { listLocal: [] as number[], listServed: [] as number[], execLocal: [] as number[], execServed: [] as number[] };
    // One warm-up each: the first TLS handshake and Docker connection are not what a user waits for every time.
    for (const f of [list(local), list(served), exec(local), exec(served)]) await f();
    for (let i = 0; i < RUNS; i++) {
      t.listLocal.push(await timeMs(list(local)));
      t.listServed.push(await timeMs(list(served)));
      t.execLocal.push(await timeMs(exec(local)));
      t.execServed.push(await timeMs(exec(served)));
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<keyof typeof t, number>;
    console.log(`served gateway over HTTPS on loopback versus embedded, median of ${RUNS}:`);
    console.log(`  sandbox list: ${m.listServed.toFixed(1)} ms vs ${m.listLocal.toFixed(1)} ms (${(m.listServed / m.listLocal).toFixed(2)}x)`);
    console.log(`  exec true:    ${m.execServed.toFixed(1)} ms vs ${m.execLocal.toFixed(1)} ms (${(m.execServed / m.execLocal).toFixed(2)}x)`);
  } finally {
    await local.deleteSandbox(name).catch(() => undefined);
    served.close();
    await host.close();
  }
}
