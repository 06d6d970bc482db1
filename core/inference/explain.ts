import type { CompiledConfig } from './config.ts';
import { scanBody } from './content.ts';
import { evaluatePrivacy } from './privacy-policy.ts';
import { planRequest } from './plan.ts';
import { candidatesFor, type ApiKind } from './route.ts';
import { formatPath } from '../policy/problems.ts';

/**
 * `inference explain`: which backend would serve a request and why, without sending it. Plain JSON
 * (it travels over the served gateway); findings name their kind, rule and place, never their text.
 */
export interface Explanation {
  readonly api: ApiKind;
  readonly model: string;
  readonly outcome: 'route' | 'deny' | 'error';
  /** HTTP status the agent would get when the router answers itself. */
  readonly status?: number;
  readonly message?: string;
  readonly findings: readonly { readonly kind: string; readonly label: string; readonly at: string; readonly rule: string | null; readonly effect: string }[];
  readonly requiredTier: string | null;
  readonly candidatesVia: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly order: readonly { readonly backend: string; readonly tier: string; readonly model: string; readonly estCostUsd: number; readonly translate: boolean }[];
  readonly excluded: readonly { readonly backend: string; readonly why: string }[];
  readonly budgetLimited: boolean;
}

export function explainRequest(cfg: CompiledConfig, api: ApiKind, request: Record<string, unknown>, spentUsd = 0): Explanation {
  const model = typeof request.model === 'string' ? request.model : '';
  const verdict = evaluatePrivacy(cfg.privacy, scanBody(request, cfg.privacy.scanner));
  const findings = verdict.decided.map(({ finding: f, rule }) => ({
    kind: f.kind,
    label: f.label,
    at: `${formatPath(f.path)}[${f.start}..${f.end}]`,
    rule: rule?.name ?? null,
    effect: !rule ? 'no rule matches' : 'tier' in rule.outcome ? `needs a ${rule.outcome.tier} backend` : rule.outcome.action === 'deny' ? 'denies the request' : 'is redacted',
  }));
  const base = { api, model, findings, requiredTier: verdict.minTier, candidatesVia: candidatesFor(cfg.config, model).via };
  const plan = planRequest(cfg, api, request, { spentUsd, down: new Set() });
  if (!plan.ok) return { ...base, outcome: plan.status === 403 ? 'deny' : 'error', status: plan.status, message: plan.message, order: [], excluded: [], budgetLimited: false };
  const d = plan.decision;
  const sizes = { inputTokens: plan.inputTokens, outputTokens: plan.outputTokens };
  if (!d.ok) return { ...base, ...sizes, outcome: 'error', status: d.status, message: d.detail, order: [], excluded: d.excluded, budgetLimited: false };
  return {
    ...base,
    ...sizes,
    outcome: 'route',
    order: d.candidates.map((c) => ({ backend: c.backend.name, tier: c.backend.privacy, model: c.model, estCostUsd: c.estCostUsd, translate: c.translate })),
    excluded: d.excluded,
    budgetLimited: d.budgetLimited,
  };
}

const usd = (n: number): string => (n === 0 ? '$0' : `$${n < 0.01 ? n.toPrecision(2) : n.toFixed(4)}`);

/** The explanation as a few readable lines. */
export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  if (e.outcome === 'route') lines.push(`→ ${e.order[0]!.backend} (${e.order[0]!.tier}) as model \`${e.order[0]!.model}\``);
  else lines.push(`✗ ${e.status ?? ''} ${e.message ?? ''}`.trim());
  lines.push(`model \`${e.model}\`: candidates from ${e.candidatesVia}`);
  if (e.findings.length === 0) lines.push('findings: none');
  for (const f of e.findings) lines.push(`finding: ${f.kind} (${f.label}) at ${f.at}: ${f.rule ? `rule ${f.rule} → ` : ''}${f.effect}`);
  if (e.requiredTier) lines.push(`content needs a ${e.requiredTier} backend${e.requiredTier === 'public' ? '' : ' or a more private one'}`);
  if (e.budgetLimited) lines.push('budget spent: only local backends serve');
  if (e.inputTokens !== undefined) lines.push(`estimate: ~${e.inputTokens} tokens in, up to ${e.outputTokens} out`);
  e.order.forEach((c, i) => lines.push(`${i === 0 ? 'first' : `then ${i + 1}.`}: ${c.backend} (${c.tier}) ~${usd(c.estCostUsd)}${c.translate ? ', translated' : ''}`));
  for (const x of e.excluded) lines.push(`skipped: ${x.backend} ${x.why}`);
  return lines.join('\n');
}
