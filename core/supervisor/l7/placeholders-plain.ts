import type { EventSink } from '../events.ts';
import type { IdentityResult } from '../identity.ts';
import { resolvePlaceholders, type PlaceholderTable } from './placeholders.ts';
import type { Header, Refusal } from './types.ts';

/** An absolute-form plain-HTTP request (`GET http://host/path`, forward.ts) before it is admitted. */
export interface PlainRequest {
  readonly host: string;
  readonly port: number;
  readonly method: string;
  /** Origin form: `/path?query`. */
  readonly path: string;
  /** Node's `rawHeaders`: name, value, name, value… */
  readonly rawHeaders: readonly string[];
  readonly identity: IdentityResult;
}

/** Refuses (with its event) a request that must not go on, or returns null to let it through. */
export type PlainGuard = (req: PlainRequest) => Refusal | null;

/**
 * Plain HTTP forwarded by the proxy is never given a secret (it would travel in clear) and a placeholder
 * in it is refused before anything is dialed, so an undeclared host never sees one either.
 */
export function plainHttpGuard(table: PlaceholderTable, events: EventSink): PlainGuard {
  return (req) => {
    const headers: Header[] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const info = { method: req.method, target: req.path, forwardTarget: req.path, headers, host: req.host, port: req.port, scheme: 'http' as const, upgrade: false };
    const out = resolvePlaceholders(info, table);
    if (out.ok) return null;
    const id = req.identity;
    events.decision({
      layer: 'l7',
      action: 'deny',
      binary: id.binary,
      ...(id.pid === undefined ? {} : { pid: id.pid }),
      ...(id.ancestors === undefined ? {} : { ancestors: id.ancestors }),
      host: req.host,
      port: req.port,
      method: req.method,
      path: req.path,
      rule: null,
      reason: out.body.detail,
      error: out.body.error,
      status: out.status,
    });
    return out;
  };
}
