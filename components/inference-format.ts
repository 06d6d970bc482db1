import type { TrafficEvent } from '../core/events/traffic.ts';
import type { InferenceDetails } from '../core/events/inference.ts';
import type { Backend } from '../core/inference/types.ts';
import { healthOf, recentLatency, RECENT, type BackendStats } from './inference-log.ts';
import type { Line } from './ui-context.ts';

/** Dollars as a person reads them: `$0`, `$0.0012`, `$1.25`. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (n < 0.0001) return `$${n.toPrecision(2)}`;
  return `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
}

/** Kinds and counts, never the text: `aws_access_key_id×1, email×2`, or `no findings`. */
export function findingsSummary(findings: Readonly<Record<string, number>>): string {
  const parts = Object.entries(findings).map(([kind, n]) => `${kind}×${n}`);
  return parts.length === 0 ? 'no findings' : parts.join(', ');
}

/** Per million tokens, in then out. */
export const priceLabel = (b: Backend): string => `$${b.priceIn}/$${b.priceOut}`;

export const HEALTH_LABEL = { ok: 'ok', failing: 'failing', unused: 'unused' } as const;

/** A backend's row facts: health (with how many recent outcomes failed), latency, requests. */
export function backendFacts(s: BackendStats | undefined): { health: ReturnType<typeof healthOf>; healthNote: string; latency: string; requests: number } {
  const health = healthOf(s);
  const failed = s ? s.recent.filter((o) => !o.ok).length : 0;
  const latency = recentLatency(s);
  return {
    health,
    healthNote: health === 'failing' ? `failing ${failed}/${Math.min(s!.recent.length, RECENT)}` : HEALTH_LABEL[health],
    latency: latency === undefined ? '-' : `${latency}ms`,
    requests: s?.requests ?? 0,
  };
}

/** One routing decision on one line, most important first: backend, tier, findings, tokens, cost, latency. */
export function callSummary(e: TrafficEvent): string {
  const d = e.inference;
  if (!d) return e.reason;
  const where = d.backend ? `${d.backend} (${d.tier ?? '?'})` : 'no backend';
  const parts = [where, findingsSummary(d.findings), `${d.tokensIn}→${d.tokensOut} tok`, usd(d.costUsd), `${d.latencyMs}ms`];
  if (d.fallback.length > 0) parts.push('↯ fallback');
  if (e.action === 'deny' || e.error) parts.push(e.reason);
  return parts.join(' · ');
}

/** The router's side of a call, for the details view of either pane. */
export function inferenceLines(d: InferenceDetails): Line[] {
  const rows: [string, string | undefined][] = [
    ['api', `${d.api}${d.model ? ` · model ${d.model}` : ''}${d.stream ? ' · streamed' : ''}${d.translated ? ' · translated' : ''}`],
    ['backend', d.backend ? `${d.backend} (${d.tier ?? '?'})` : '(none reached)'],
    ['needs tier', d.requiredTier ?? 'any'],
    ['status', String(d.status)],
    ['findings', findingsSummary(d.findings)],
    ['redacted', d.redacted > 0 ? String(d.redacted) : undefined],
    ['tokens', `in ${d.tokensIn}, out ${d.tokensOut}`],
    ['cost', usd(d.costUsd)],
    ['latency', `${d.latencyMs} ms`],
    ['budget', d.budgetLimited ? 'spent: only local backends were eligible' : undefined],
  ];
  const out: Line[] = rows.filter(([, v]) => v !== undefined).map(([k, v]) => ({ text: `${k.padEnd(12)}${v}` }));
  for (const f of d.fallback) out.push({ text: `${'fallback'.padEnd(12)}${f.backend}: ${f.error}`, tone: 'warning' });
  return out;
}
