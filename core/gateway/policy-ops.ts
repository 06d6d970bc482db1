import type Docker from 'dockerode';
import type { EventBus } from '../events/bus.ts';
import type { PolicyStatusEvent } from '../events/traffic.ts';
import type { PolicyStore, Revision } from '../policy/index.ts';
import type { SetResult, SetTextResult } from '../policy/revisions.ts';
import { followSupervisor, type SupervisorRecord } from './supervisor-log.ts';
import type { PolicyState } from './policy-state.ts';
import type { GatewayEvents, PolicySetOptions, PolicySetResult } from './types.ts';

export const DEFAULT_WAIT_MS = 60_000;

export interface PolicyDeps {
  readonly docker: Docker;
  readonly state: PolicyState;
  readonly events: EventBus<GatewayEvents>;
}

/** A `policy` line of the supervisor, if `r` is one. */
export function policyLine(r: SupervisorRecord, sandbox: string): PolicyStatusEvent | null {
  if (r.type !== 'policy' || typeof r.version !== 'number' || (r.status !== 'loaded' && r.status !== 'failed')) return null;
  return {
    sandbox,
    time: typeof r.time === 'string' ? r.time : new Date().toISOString(),
    version: r.version,
    status: r.status,
    ...(typeof r.error === 'string' ? { error: r.error } : {}),
  };
}

/**
 * The supervisor's verdict on `version`: its own line, or a newer revision loaded (which supersedes
 * it). Resolves null on timeout or when the log ends (the supervisor is not running).
 */
async function listenForVerdict(
  deps: PolicyDeps,
  name: string,
  version: number,
  timeoutMs: number,
): Promise<{ verdict: Promise<PolicyStatusEvent | null> }> {
  const abort = new AbortController();
  let settle: (v: PolicyStatusEvent | null) => void = () => undefined;
  const verdict = new Promise<PolicyStatusEvent | null>((resolve) => (settle = resolve));
  // A few seconds back: Docker filters by whole seconds, and a fast supervisor may answer at once.
  const { done } = await followSupervisor(deps.docker, name, { follow: true, sinceMs: Date.now() - 2000, signal: abort.signal }, (r) => {
    const line = policyLine(r, name);
    if (line && (line.version === version || (line.version > version && line.status === 'loaded'))) settle(line);
  });
  const timer = setTimeout(() => settle(null), timeoutMs);
  void done.then(() => settle(null), () => settle(null));
  void verdict.then(() => {
    clearTimeout(timer);
    abort.abort();
  });
  return { verdict };
}

/**
 * Applies `change` to the newest stored revisions and writes the result where the supervisor reads it,
 * holding the sandbox's policy lock so two clients changing it at once both get their revision (the
 * second on top of the first); then optionally waits, unlocked, for the supervisor's verdict.
 */
export async function changePolicy(
  deps: PolicyDeps,
  name: string,
  change: (store: PolicyStore) => SetTextResult | SetResult,
  opts: PolicySetOptions,
): Promise<PolicySetResult> {
  let listening: { verdict: Promise<PolicyStatusEvent | null> } | undefined;
  const committed = await deps.state.exclusive(name, async (): Promise<PolicySetResult> => {
    const store = await deps.state.load(name);
    const result = change(store);
    if ('problems' in result) return { ok: false, problems: result.problems };
    if (!result.changed) return { ok: true, revision: result.revision, changed: false };
    // Listening starts before the write, so a fast supervisor's answer is not missed.
    listening = opts.wait ? await listenForVerdict(deps, name, result.revision.version, opts.timeoutMs ?? DEFAULT_WAIT_MS) : undefined;
    await deps.state.save(name, store, result.revision);
    return { ok: true, revision: result.revision, changed: true };
  });
  if (!committed.ok || !committed.changed) return committed;
  const rev = committed.revision;
  deps.events.emit('policy.revision', { sandbox: name, revision: rev, time: new Date().toISOString() });
  if (!listening) return committed;
  const line = await listening.verdict;
  if (!line) return { ok: true, revision: (await deps.state.load(name)).get(rev.version), changed: true };
  deps.events.emit('policy.status', line);
  const recorded = await deps.state.record(name, line);
  const mine: Revision | undefined = recorded?.version === rev.version ? recorded : undefined;
  return { ok: true, revision: mine ?? (await deps.state.load(name)).get(rev.version), changed: true };
}
