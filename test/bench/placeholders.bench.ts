// The credential transform's cost per request, against copying the head (the least any transform does), same run.
import { PlaceholderTable, resolvePlaceholders, type PlaceholderEntry } from '../../core/supervisor/l7/placeholders.ts';
import type { InspectedRequest } from '../../core/supervisor/l7/types.ts';
import { median } from './stats.ts';

const entries: PlaceholderEntry[] = Array.from({ length: 8 }, (_, i) => ({
  placeholder: `OPENSHELL_PLACEHOLDER_KEY${i}_${String(i).repeat(24)}`,
  provider: `p${i}`,
  key: `KEY${i}`,
  secret: `secret-${i}-${'x'.repeat(40)}`,
  hosts: [`api${i}.example.com`],
}));
const table = new PlaceholderTable(entries);
const P = entries[3]!.placeholder;

function request(headers: [string, string][], target = '/repos/openshell/openshell/issues?state=open&per_page=100'): InspectedRequest {
  const base: [string, string][] = [
    ['Host', 'api3.example.com'],
    ['User-Agent', 'curl/8.5.0'],
    ['Accept', 'application/vnd.github+json'],
    ['X-GitHub-Api-Version', '2022-11-28'],
  ];
  return { method: 'GET', target, forwardTarget: target, headers: [...base, ...headers], host: 'api3.example.com', port: 443, scheme: 'https', upgrade: false };
}

const cases: [string, InspectedRequest][] = [
  ['no placeholder', request([['Authorization', 'token ghp_not_a_placeholder']])],
  ['Basic without placeholder', request([['Authorization', `Basic ${Buffer.from('user:password').toString('base64')}`]])],
  ['bearer placeholder', request([['Authorization', `Bearer ${P}`]])],
  ['Basic placeholder', request([['Authorization', `Basic ${Buffer.from(`x:${P}`).toString('base64')}`]])],
  ['query placeholder', request([], `/search?q=x&access_token=${P}`)],
];

/** Nanoseconds per call: median of 7 rounds after a warm-up. */
function nsPerCall(fn: () => unknown, n = 50_000): number {
  for (let i = 0; i < n; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(rounds);
}

export async function run(): Promise<void> {
  for (const [name, req] of cases) {
    const copy = nsPerCall(() => ({ ok: true, headers: req.headers.map(([k, v]) => [k, v]) }));
    const resolve = nsPerCall(() => resolvePlaceholders(req, table));
    console.log(`${name.padEnd(26)} ${(resolve / 1000).toFixed(2)} µs/request  (copying the head: ${(copy / 1000).toFixed(2)} µs, ×${(resolve / copy).toFixed(1)})`);
  }
  await Promise.resolve();
}
