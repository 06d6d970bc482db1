import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpendMeter } from '../../inference/spend.ts';

/** The sandbox's inference spend, kept on the state volume so a supervisor restart does not reset the budget. */
export const SPEND_FILE = 'inference-spend.json';

export function fileSpendMeter(dir: string): SpendMeter {
  const file = join(dir, SPEND_FILE);
  let initial = 0;
  try {
    const v = (JSON.parse(readFileSync(file, 'utf8')) as { spentUsd?: unknown }).spentUsd;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) initial = v;
  } catch {
    // None yet.
  }
  return new SpendMeter(initial, (usd) => {
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify({ spentUsd: usd, updatedAt: new Date().toISOString() }));
      renameSync(`${file}.tmp`, file);
    } catch {
      // Best effort: the budget still holds for this run.
    }
  });
}
