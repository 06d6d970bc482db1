import { stringify } from 'yaml';
import { UsageError } from '../core/errors.ts';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function parseFormat(value: string | undefined): OutputFormat {
  const v = value ?? 'table';
  if (v === 'table' || v === 'json' || v === 'yaml') return v;
  throw new UsageError(`unknown output format \`${v}\``, 'use one of: table, json, yaml');
}

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
}

/** Plain aligned columns: readable without colour, stable for scripts that prefer -o json. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: readonly string[]) =>
    vals
      .map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export function printData<T>(data: T | readonly T[], format: OutputFormat, columns: readonly Column<T>[]): void {
  if (format === 'json') process.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else if (format === 'yaml') process.stdout.write(stringify(data));
  else process.stdout.write(renderTable(Array.isArray(data) ? (data as readonly T[]) : [data as T], columns) + '\n');
}
