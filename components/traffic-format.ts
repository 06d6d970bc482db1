import type { TrafficEvent } from '../core/events/traffic.ts';
import { inferenceLines } from './inference-format.ts';
import { symbols } from './theme.ts';
import type { Line } from './ui-context.ts';

export const clock = (iso: string): string => iso.slice(11, 19);
export const verdict = (e: TrafficEvent): string => `${e.action === 'allow' ? symbols.allow : symbols.deny} ${e.action}`;
export const destination = (e: TrafficEvent): string => `${e.host}:${e.port}`;
export const request = (e: TrafficEvent): string => (e.method ? `${e.method} ${e.path ?? ''}`.trim() : '');
export const binaryOf = (e: TrafficEvent): string => e.binary || '(unidentified)';

/** What `/` text matches: everything a line shows. */
export function matchesText(e: TrafficEvent, text: string): boolean {
  if (text === '') return true;
  const hay = `${e.sandbox} ${e.action} ${e.binary} ${e.host}:${e.port} ${e.method ?? ''} ${e.path ?? ''} ${e.rule ?? ''} ${e.reason}`.toLowerCase();
  return hay.includes(text.toLowerCase());
}

const bytes = (n: number | undefined) => (n === undefined ? '-' : `${n} B`);

/** Traffic keys that mean nothing on this line: a router call (`inference.local`) has no policy rule to approve. */
export const keysNotFor = (e: TrafficEvent | undefined): readonly string[] => (e?.layer === 'inference' ? INFERENCE_HIDDEN : NONE);
const INFERENCE_HIDDEN = ['approve', 'approveHost'] as const;
const NONE = [] as const;

/** The details view of one decision. */
export function detailLines(e: TrafficEvent): Line[] {
  const lines: [string, string | undefined][] = [
    ['time', e.time],
    ['sandbox', e.sandbox],
    ['verdict', `${verdict(e)} (${e.layer}${e.enforcement ? `, ${e.enforcement}` : ''})`],
    ['binary', `${binaryOf(e)}${e.pid === undefined ? '' : ` (pid ${e.pid})`}`],
    ['ancestors', e.ancestors?.length ? e.ancestors.join(' ← ') : '(none)'],
    ['cmdline', e.cmdline?.join(' ')],
    ['destination', `${destination(e)}${e.ip ? ` (${e.ip})` : ''}`],
    ['request', request(e) || undefined],
    ['rule', e.rule ?? '(none)'],
    ['reason', e.reason],
    ['error', e.error],
    ['policy', e.policyVersion === undefined ? undefined : `revision ${e.policyVersion}`],
    ['bytes', `in ${bytes(e.bytesIn)}, out ${bytes(e.bytesOut)}`],
    ['duration', e.durationMs === undefined ? undefined : `${e.durationMs} ms`],
  ];
  const out: Line[] = lines.filter(([, v]) => v !== undefined).map(([k, v]) => ({ text: `${k.padEnd(12)}${v}` }));
  if (e.inference) out.push(...inferenceLines(e.inference));
  // The privacy router, not the policy, decides inference.local: there is no rule to add.
  if (e.layer === 'inference') return out;
  if (e.action === 'deny') out.push({ text: e.ruleMissing ? 'a: allow exactly this · A: allow the host for any binary' : 'A: allow the host for any binary', tone: 'muted' });
  return out;
}
