import type { Endpoint, L7Rule } from './schema.ts';

/** `access:` presets expanded to explicit rules, as upstream's supervisor does before evaluation. */
const REST: Record<string, readonly string[]> = {
  'read-only': ['GET', 'HEAD', 'OPTIONS'],
  'read-write': ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'],
  full: ['*'],
};
const WEBSOCKET: Record<string, readonly string[]> = {
  'read-only': ['GET'],
  'read-write': ['GET', 'WEBSOCKET_TEXT'],
  full: ['*'],
};

export function expandAccess(ep: Pick<Endpoint, 'access' | 'protocol'>): L7Rule[] {
  if (ep.access === undefined) return [];
  if (ep.protocol === 'rest') return REST[ep.access]!.map((method) => ({ method, path: '**' }));
  if (ep.protocol === 'websocket') return WEBSOCKET[ep.access]!.map((method) => ({ method, path: '**' }));
  if (ep.protocol === 'graphql') {
    const ops = { 'read-only': ['query'], 'read-write': ['query', 'mutation'], full: ['*'] }[ep.access] as ('query' | 'mutation' | '*')[];
    return ops.map((operation_type) => ({ operation_type }));
  }
  return [{ method: '*' }];
}

/** The allow rules an endpoint grants, whether written out or implied by `access`. */
export function allowRulesOf(ep: Endpoint): L7Rule[] {
  return ep.rules ? ep.rules.map((r) => r.allow) : expandAccess(ep);
}
