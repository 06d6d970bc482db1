import { OCSF_VERSION, PRODUCT } from './ocsf.ts';
import type { InferenceDetails } from './inference.ts';
import type { TrafficEvent } from './traffic.ts';

/**
 * A privacy-router call as OCSF API Activity (6003, category 6 Application Activity), upstream's
 * `API:INFERENCE`: the operation, the model, the backend as the destination service, and the
 * router's own figures (tier, findings by kind, tokens, cost, fallbacks) under `unmapped`.
 */
export interface OcsfApiActivity {
  readonly class_uid: 6003;
  readonly class_name: 'API Activity';
  readonly category_uid: 6;
  readonly category_name: 'Application Activity';
  readonly activity_id: 1 | 2;
  readonly activity_name: 'Create' | 'Read';
  readonly type_uid: number;
  readonly type_name: string;
  readonly severity_id: 1 | 3;
  readonly severity: 'Informational' | 'Medium';
  readonly status_id: 1 | 2;
  readonly status: 'Success' | 'Failure';
  readonly status_detail?: string;
  readonly time: number;
  readonly message: string;
  readonly metadata: { readonly version: string; readonly product: typeof PRODUCT; readonly uid: string; readonly profiles: readonly string[] };
  readonly api: { readonly operation: string; readonly service: { readonly name: string }; readonly response: { readonly code: number; readonly error?: string } };
  readonly ai_model?: { readonly name: string; readonly provider?: string };
  readonly actor: { readonly process: { readonly name: string; readonly pid?: number; readonly file: { readonly path: string } } };
  readonly src_endpoint: { readonly name: string };
  readonly dst_endpoint: { readonly domain: string; readonly port: number };
  readonly duration?: number;
  readonly unmapped: Readonly<Record<string, unknown>>;
}

export function inferenceToOcsf(e: TrafficEvent): OcsfApiActivity {
  const d: Partial<InferenceDetails> = e.inference ?? {};
  const ok = e.action === 'allow' && e.error === undefined;
  const read = e.method === 'GET';
  const binary = e.binary || '-';
  const name = binary.slice(binary.lastIndexOf('/') + 1);
  return {
    class_uid: 6003,
    class_name: 'API Activity',
    category_uid: 6,
    category_name: 'Application Activity',
    activity_id: read ? 2 : 1,
    activity_name: read ? 'Read' : 'Create',
    type_uid: 600300 + (read ? 2 : 1),
    type_name: `API Activity: ${read ? 'Read' : 'Create'}`,
    severity_id: ok ? 1 : 3,
    severity: ok ? 'Informational' : 'Medium',
    status_id: ok ? 1 : 2,
    status: ok ? 'Success' : 'Failure',
    ...(ok ? {} : { status_detail: e.reason }),
    time: Date.parse(e.time),
    message: `${e.method ?? ''} ${e.path ?? ''} ${e.reason}`.trim(),
    metadata: { version: OCSF_VERSION, product: PRODUCT, uid: `${e.sandbox}:${e.seq}`, profiles: ['ai_operation'] },
    api: { operation: `${e.method ?? ''} ${e.path ?? ''}`.trim(), service: { name: d.backend ?? 'inference.local' }, response: { code: d.status ?? 0, ...(e.error ? { error: e.error } : {}) } },
    ...(d.model ? { ai_model: { name: d.model, ...(d.backend ? { provider: d.backend } : {}) } } : {}),
    actor: { process: { name, ...(e.pid === undefined ? {} : { pid: e.pid }), file: { path: binary } } },
    src_endpoint: { name: e.sandbox },
    dst_endpoint: { domain: e.host, port: e.port },
    ...(e.durationMs === undefined ? {} : { duration: e.durationMs }),
    unmapped: {
      seq: e.seq,
      layer: 'inference',
      ...(d.tier ? { tier: d.tier } : {}),
      ...(d.requiredTier ? { required_tier: d.requiredTier } : {}),
      findings: d.findings ?? {},
      redacted: d.redacted ?? 0,
      tokens_in: d.tokensIn ?? 0,
      tokens_out: d.tokensOut ?? 0,
      cost_usd: d.costUsd ?? 0,
      fallback: d.fallback ?? [],
      ...(d.translated ? { translated: true } : {}),
      ...(d.budgetLimited ? { budget_limited: true } : {}),
    },
  };
}

/** `→ backend (tier) 120→35 tok $0.0004 [aws_access_key_id×1] after x failed`: the router's part of a log line. */
export function inferenceSummary(d: InferenceDetails): string {
  const parts: string[] = [];
  if (d.backend) parts.push(`→ ${d.backend} (${d.tier ?? '?'})`);
  if (d.tokensIn || d.tokensOut) parts.push(`${d.tokensIn}→${d.tokensOut} tok $${d.costUsd.toPrecision(2)}`);
  const kinds = Object.entries(d.findings).map(([k, n]) => `${k}×${n}`);
  if (kinds.length > 0) parts.push(`[${kinds.join(', ')}${d.redacted ? `; ${d.redacted} redacted` : ''}]`);
  if (d.fallback.length > 0) parts.push(`after ${d.fallback.map((f) => `${f.backend} ${f.error}`).join(', ')}`);
  return parts.join(' ');
}

/** `logs` line of a router call: `ALLOW POST inference.local/v1/chat/completions (/usr/bin/curl) → local (local) …`. */
export function formatInferenceLine(e: TrafficEvent, verdict: string): string {
  const summary = e.inference ? inferenceSummary(e.inference) : '';
  const head = `${e.time}  ${verdict.trim()} ${e.method ?? ''} ${e.host}${e.path ?? ''} (${e.binary || 'unknown binary'})${summary ? ` ${summary}` : ''}`;
  return e.action === 'deny' || e.error ? `${head}: ${e.reason}` : head;
}
