import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { canonicalizePath, compilePolicy, linearDecider, loadPolicy, type Policy } from '../../../core/policy/index.ts';

const segment = fc.constantFrom('a', 'b', 'repos', 'admin', '.', '..', '', '%2e%2e', '%2E', 'x;p=1', '%61', 'caf%C3%A9', '%20', '~u');
const rawPath = fc.array(segment, { maxLength: 8 }).map((s) => '/' + s.join('/'));

/** Percent-encode some characters of a path that has no `%`, `/`, `;`, `?` or `#` of its own inside segments. */
const encodeSome = (path: string, mask: readonly boolean[]) =>
  [...path].map((ch, i) => (ch !== '/' && mask[i % mask.length] ? encodeURIComponent(ch).replace(/^[A-Za-z0-9.~_-]$/, (c) => `%${c.charCodeAt(0).toString(16)}`) : ch)).join('');

const prefixPolicy: Policy = {
  version: 1,
  network_policies: {
    api: {
      endpoints: [{ host: 'api.example.com', port: 443, protocol: 'rest', enforcement: 'enforce', rules: [{ allow: { method: 'GET', path: '/repos/**' } }] }],
      binaries: [{ path: '/usr/bin/curl' }],
    },
  },
};
const prefix = compilePolicy(prefixPolicy);

describe('canonicalization properties', () => {
  it('never throws, and a canonical path is absolute, clean and stable', () => {
    fc.assert(
      fc.property(fc.oneof(rawPath, fc.string(), fc.anything()), (raw) => {
        const c = canonicalizePath(raw);
        if (!c.ok) return;
        expect(c.path.startsWith('/')).toBe(true);
        expect(c.segments).not.toContain('..');
        expect(c.segments).not.toContain('.');
        expect(c.path).not.toContain('//');
      }),
      { numRuns: 2000 },
    );
  });

  it('a path that canonicalizes outside a rule prefix is never allowed by it', () => {
    fc.assert(
      fc.property(rawPath, (path) => {
        const d = prefix.decideL7({ host: 'api.example.com', port: 443, binary: '/usr/bin/curl', method: 'GET', path });
        const c = canonicalizePath(path);
        const inside = c.ok && c.segments[0] === 'repos';
        if (!inside) expect(d.action).toBe('deny');
      }),
      { numRuns: 3000 },
    );
  });

  it('encoded and raw forms decide the same', () => {
    const plain = fc.array(fc.constantFrom('repos', 'a', 'b.c', '..', '.', 'x y', 'é', '-_~', 'admin'), { maxLength: 6 }).map((s) => '/' + s.join('/'));
    fc.assert(
      fc.property(plain, fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }), (path, mask) => {
        const encoded = encodeSome(path, mask);
        const a = canonicalizePath(path);
        const b = canonicalizePath(encoded);
        expect(b).toEqual(a);
        const req = { host: 'api.example.com', port: 443, binary: '/usr/bin/curl', method: 'GET' };
        expect(prefix.decideL7({ ...req, path: encoded }).action).toBe(prefix.decideL7({ ...req, path }).action);
      }),
      { numRuns: 2000 },
    );
  });
});

const label = fc.constantFrom('a', 'b', 'api', 'cdn', 'x-1');
const hostPattern = fc.oneof(
  fc.tuple(label, label).map(([a, b]) => `${a}.${b}.example`),
  fc.tuple(label).map(([a]) => `*.${a}.example`),
  fc.tuple(label).map(([a]) => `**.${a}.example`),
  fc.tuple(label, label).map(([a, b]) => `${a}.*.${b}.example`),
  fc.tuple(label).map(([a]) => `${a}-*.svc.example`),
);
const hostName = fc.array(label, { minLength: 1, maxLength: 4 }).chain((ls) => fc.constantFrom('example', 'svc.example').map((t) => [...ls, t].join('.')));
const bin = fc.constantFrom('/usr/bin/git', '/usr/bin/curl', '/opt/a/bin/tool', '/usr/bin/python3.12');
const binPattern = fc.constantFrom('/usr/bin/git', '/usr/bin/curl', '/opt/*/bin/tool', '/usr/bin/python3*', '/usr/**');
const port = fc.constantFrom(80, 443, 8443);

const policyArb = fc
  .array(
    fc.record({
      eps: fc.array(fc.record({ host: hostPattern, port }), { minLength: 1, maxLength: 3 }),
      bins: fc.array(binPattern, { minLength: 1, maxLength: 2 }),
      enabled: fc.boolean(),
    }),
    { maxLength: 8 },
  )
  .map((rules): Policy => ({
    version: 1,
    network_policies: Object.fromEntries(
      rules.map((r, i) => [
        `r${i}`,
        { ...(r.enabled ? {} : { enabled: false }), endpoints: r.eps, binaries: r.bins.map((path) => ({ path })) },
      ]),
    ),
  }));

describe('matching properties', () => {
  it('the index decides exactly like a linear scan of the same rules', () => {
    fc.assert(
      fc.property(policyArb, hostName, port, bin, fc.array(bin, { maxLength: 2 }), (policy, host, p, binary, ancestors) => {
        const req = { host, port: p, binary, ancestors };
        const fast = compilePolicy(policy).decideL4(req);
        expect({ action: fast.action, rule: fast.action === 'allow' ? fast.rule : null }).toEqual(linearDecider(policy)(req));
      }),
      { numRuns: 2000 },
    );
  });

  it('the evaluator never throws on any input', () => {
    const c = compilePolicy(prefixPolicy);
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything(), (host, p, binary, method, path) => {
        const req = { host, port: p, binary, method, path, ancestors: [binary] } as never;
        expect(['allow', 'deny']).toContain(c.decideL4(req).action);
        expect(['allow', 'deny']).toContain(c.decideL7(req).action);
      }),
      { numRuns: 1000 },
    );
  });

  it('the loader never throws, and a failed load carries no policy', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything().map((v) => stringify({ version: 1, network_policies: { a: v } }))), (text) => {
        const r = loadPolicy(text);
        if (!r.ok) {
          expect(r.problems.length).toBeGreaterThan(0);
          expect('policy' in r).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
