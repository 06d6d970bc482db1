import { readFileSync } from 'node:fs';

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** A benchmark client's python source, after the part the clients share (`python3 -c` runs it anywhere). */
export function benchClient(name: 'http-client.py' | 'tls-client.py'): string {
  const read = (file: string): string => readFileSync(new URL(`../fixtures/supervisor/${file}`, import.meta.url), 'utf8');
  return `${read('client-core.py')}\n${read(name)}`;
}
