import type { CompiledEndpoint, CompiledRule } from './compiled.ts';
import { componentGlob } from './glob.ts';
import { HostMatcher } from './matchers.ts';

/**
 * Endpoint lookup by host and port without scanning rules: exact hosts in a hash map, wildcard hosts
 * in a trie of labels read right to left (`*` one label, `**` one or more, a partial first label by
 * glob), hostless `allowed_ips` endpoints by port. Each leaf holds a per-port map of endpoints.
 */

type PortMap = Map<number, CompiledEndpoint[]>;

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  star: TrieNode | null;
  globstar: TrieNode | null;
  readonly partial: { readonly test: (label: string) => boolean; readonly node: TrieNode }[];
  ports: PortMap | null;
}

function node(): TrieNode {
  return { children: new Map(), star: null, globstar: null, partial: [], ports: null };
}

function addTo(map: PortMap, ep: CompiledEndpoint): void {
  for (const p of ep.ports.ports) {
    const list = map.get(p);
    if (list) list.push(ep);
    else map.set(p, [ep]);
  }
}

export class HostIndex {
  private readonly exact = new Map<string, PortMap>();
  private readonly root = node();
  private readonly anyHost: PortMap = new Map();
  private wildcards = 0;

  constructor(rules: readonly CompiledRule[], include: (rule: CompiledRule) => boolean) {
    for (const rule of rules) if (include(rule)) for (const ep of rule.endpoints) this.add(ep);
  }

  private add(ep: CompiledEndpoint): void {
    if (!(ep.host instanceof HostMatcher)) return addTo(this.anyHost, ep);
    if (ep.host.exact) {
      let m = this.exact.get(ep.host.pattern);
      if (!m) this.exact.set(ep.host.pattern, (m = new Map<number, CompiledEndpoint[]>()));
      return addTo(m, ep);
    }
    this.wildcards++;
    let at = this.root;
    const labels = ep.host.pattern.split('.');
    for (let i = labels.length - 1; i >= 0; i--) {
      const l = labels[i]!;
      if (l === '*') at = at.star ??= node();
      else if (l === '**') at = at.globstar ??= node();
      else if (l.includes('*')) {
        const next = node();
        at.partial.push({ test: componentGlob(l), node: next });
        at = next;
      } else {
        let c = at.children.get(l);
        if (!c) at.children.set(l, (c = node()));
        at = c;
      }
    }
    addTo((at.ports ??= new Map<number, CompiledEndpoint[]>()), ep);
  }

  /**
   * Appends every endpoint serving `host:port` to `out` (host already normalized); with port null,
   * endpoints on any port of that host (used only to explain a deny).
   */
  collect(host: string, port: number | null, out: CompiledEndpoint[]): void {
    const byHost = this.exact.get(host);
    if (byHost) pick(byHost, port, out);
    if (this.wildcards > 0) {
      const labels = host.split('.');
      walk(this.root, labels, labels.length - 1, port, out);
    }
    pick(this.anyHost, port, out);
  }
}

function pick(map: PortMap, port: number | null, out: CompiledEndpoint[]): void {
  if (port === null) {
    for (const eps of map.values()) out.push(...eps);
    return;
  }
  const eps = map.get(port);
  if (eps) for (let i = 0; i < eps.length; i++) out.push(eps[i]!);
}

function walk(at: TrieNode, labels: readonly string[], i: number, port: number | null, out: CompiledEndpoint[]): void {
  if (i < 0) {
    if (at.ports) pick(at.ports, port, out);
    return;
  }
  const label = labels[i]!;
  const child = at.children.get(label);
  if (child) walk(child, labels, i - 1, port, out);
  if (at.star) walk(at.star, labels, i - 1, port, out);
  if (at.globstar) for (let j = i - 1; j >= -1; j--) walk(at.globstar, labels, j, port, out);
  for (const p of at.partial) if (p.test(label)) walk(p.node, labels, i - 1, port, out);
}
