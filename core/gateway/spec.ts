import { UsageError } from '../errors.ts';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512m`, `2g`, `1.5GiB`, `1073741824` → bytes; at least 6 MiB (Docker's floor). */
export function parseMemory(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(value.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new UsageError(`invalid --memory \`${value}\``, 'use a size such as 512m, 2g or 1.5GiB');
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 6 * 1024 ** 2) throw new UsageError(`--memory \`${value}\` is too small`, 'the minimum is 6m');
  return bytes;
}

export function parseCpu(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > 1024) {
    throw new UsageError(`invalid --cpu \`${value}\``, 'use a positive number of CPUs such as 1 or 0.5');
  }
  return n;
}

/** `K=V` pairs (repeatable flag) → record; `what` names the flag in errors. */
export function parsePairs(values: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`invalid ${what} \`${v}\``, `use ${what} KEY=VALUE`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** `a=b,c=d` → record (for --selector). */
export function parseSelector(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined || value === '') return undefined;
  return parsePairs(value.split(','), '--selector');
}
