import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hostMatches, mentionsPlaceholder, PlaceholderTable, resolvePlaceholders, type PlaceholderEntry } from '../../../core/supervisor/l7/placeholders.ts';
import { loadPlaceholders, parseProvidersFile, watchPlaceholders, type ProvidersChangeLine } from '../../../core/supervisor/l7/placeholders-file.ts';
import { plainHttpGuard } from '../../../core/supervisor/l7/placeholders-plain.ts';
import { sandboxStages } from '../../../core/supervisor/l7/placeholders-tunnel.ts';
import { Enforcer } from '../../../core/supervisor/enforcer.ts';
import { EventSink } from '../../../core/supervisor/events.ts';
import { FlowRegistry } from '../../../core/supervisor/flows.ts';
import { TlsAuthority } from '../../../core/supervisor/tls/authority.ts';
import type { Header, InspectedRequest } from '../../../core/supervisor/l7/types.ts';

const GH = 'OPENSHELL_PLACEHOLDER_GITHUB_TOKEN_0123456789abcdef01234567';
const PW = 'OPENSHELL_PLACEHOLDER_PASSWORD_fedcba9876543210fedcba98';
const SECRET = 'ghp_realSecret/with+chars=';
const entries: PlaceholderEntry[] = [
  { placeholder: GH, provider: 'gh', key: 'GITHUB_TOKEN', secret: SECRET, hosts: ['api.github.com', 'github.com'] },
  { placeholder: PW, provider: 'registry', key: 'PASSWORD', secret: 'pä ss', hosts: ['*.registry.test:8443'] },
];
const table = new PlaceholderTable(entries);

function req(over: Partial<InspectedRequest> & { headers?: readonly Header[] } = {}): InspectedRequest {
  const target = over.target ?? '/user';
  return {
    method: 'GET',
    target,
    forwardTarget: over.forwardTarget ?? target,
    headers: [['Host', over.host ?? 'api.github.com'], ['Accept', '*/*']],
    host: 'api.github.com',
    port: 443,
    scheme: 'https',
    upgrade: false,
    ...over,
  };
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('credential placeholders on a declared host', () => {
  it('leaves a request without placeholders untouched', () => {
    const r = req();
    expect(resolvePlaceholders(r, table)).toEqual({ ok: true, headers: r.headers });
  });

  it('replaces a bearer token in a header value, keeping the other headers and their order', () => {
    const r = req({ headers: [['Host', 'api.github.com'], ['Authorization', `Bearer ${GH}`], ['X-Other', 'keep']] });
    expect(resolvePlaceholders(r, table)).toEqual({
      ok: true,
      headers: [['Host', 'api.github.com'], ['Authorization', `Bearer ${SECRET}`], ['X-Other', 'keep']],
    });
  });

  it('replaces several placeholders in one value and in several headers', () => {
    const r = req({ headers: [['X-A', `${GH}:${GH}`], ['X-B', `token ${GH}`]] });
    const out = resolvePlaceholders(r, table);
    expect(out).toEqual({ ok: true, headers: [['X-A', `${SECRET}:${SECRET}`], ['X-B', `token ${SECRET}`]] });
  });

  it('decodes Basic credentials, replaces inside them and encodes again', () => {
    const r = req({ headers: [['Authorization', `Basic ${b64(`x-access-token:${GH}`)}`]] });
    const out = resolvePlaceholders(r, table);
    expect(out).toEqual({ ok: true, headers: [['Authorization', `Basic ${b64(`x-access-token:${SECRET}`)}`]] });
  });

  it('keeps the scheme word and spacing of Basic as sent', () => {
    const r = req({ headers: [['authorization', `basic  ${b64(`u:${GH}`)}`]] });
    const out = resolvePlaceholders(r, table);
    expect(out).toEqual({ ok: true, headers: [['authorization', `basic  ${b64(`u:${SECRET}`)}`]] });
  });

  it('replaces query values with the secret percent-encoded, leaving the rest of the target as sent', () => {
    const r = req({ target: `/search?q=a+b&access_token=${GH}&x=%2F` });
    const out = resolvePlaceholders(r, table);
    expect(out).toEqual({ ok: true, headers: r.headers, target: `/search?q=a+b&access_token=${encodeURIComponent(SECRET)}&x=%2F` });
  });

  it('finds a percent-encoded placeholder in a query value', () => {
    const encoded = GH.replace('O', '%4F').replace('_', '%5F');
    const r = req({ target: `/x?t=pre%20${encoded}` });
    const out = resolvePlaceholders(r, table);
    expect(out).toEqual({ ok: true, headers: r.headers, target: `/x?t=${encodeURIComponent(`pre ${SECRET}`)}` });
  });

  it('keeps `+` separators of a form-encoded value around the placeholder', () => {
    const r = req({ target: `/x?t=Bearer+${GH}` });
    const out = resolvePlaceholders(r, table);
    expect(out).toEqual({ ok: true, headers: r.headers, target: `/x?t=Bearer+${encodeURIComponent(SECRET)}` });
  });

  it('rewrites the forwarded (canonical) target, not the raw one', () => {
    const r = req({ target: `/a/../user?t=${GH}`, forwardTarget: `/user?t=${GH}` });
    const out = resolvePlaceholders(r, table);
    expect(out).toEqual({ ok: true, headers: r.headers, target: `/user?t=${encodeURIComponent(SECRET)}` });
  });

  it('honours a wildcard host with a port: one label, that port only', () => {
    const ok = req({ host: 'eu.registry.test', port: 8443, headers: [['Authorization', `Basic ${b64(`me:${PW}`)}`]] });
    expect(resolvePlaceholders(ok, table)).toEqual({ ok: true, headers: [['Authorization', `Basic ${b64('me:pä ss')}`]] });
    for (const [host, port] of [['eu.registry.test', 443], ['a.b.registry.test', 8443], ['registry.test', 8443]] as const) {
      const out = resolvePlaceholders({ ...ok, host, port }, table);
      expect(out.ok).toBe(false);
    }
  });
});

describe('credential placeholders refused', () => {
  it('refuses a placeholder sent to an undeclared host with a 403 naming the provider, never the secret', () => {
    const r = req({ host: 'evil.example', headers: [['Host', 'evil.example'], ['Authorization', `Bearer ${GH}`]] });
    const out = resolvePlaceholders(r, table);
    expect(out).toEqual({
      ok: false,
      status: 403,
      body: {
        error: 'credential_endpoint_mismatch',
        detail:
          'a credential placeholder of provider `gh` (GITHUB_TOKEN) was sent to evil.example:443, which is not a declared host of that provider; the request was not forwarded',
        reason: 'credential placeholder sent to an undeclared host',
        provider: 'gh',
        key: 'GITHUB_TOKEN',
        declared_hosts: ['api.github.com', 'github.com'],
        host: 'evil.example',
        port: 443,
      },
    });
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it('refuses a placeholder hidden in Basic credentials or a query for an undeclared host', () => {
    const basic = req({ host: 'evil.example', headers: [['Authorization', `Basic ${b64(`u:${GH}`)}`]] });
    const query = req({ host: 'evil.example', target: `/?k=${GH}` });
    const encoded = req({ host: 'evil.example', target: `/?k=${GH.replace('P', '%50')}` });
    for (const r of [basic, query, encoded]) expect(resolvePlaceholders(r, table)).toMatchObject({ ok: false, status: 403, body: { error: 'credential_endpoint_mismatch' } });
  });

  it('refuses a placeholder in the path, even of a declared host', () => {
    const out = resolvePlaceholders(req({ target: `/repos/${GH}/x` }), table);
    expect(out).toMatchObject({ ok: false, status: 403, body: { error: 'credential_placeholder_misplaced', provider: 'gh' } });
    const encoded = resolvePlaceholders(req({ target: `/repos/${GH.replace('O', '%4f')}` }), table);
    expect(encoded).toMatchObject({ ok: false, body: { error: 'credential_placeholder_misplaced' } });
  });

  it('refuses a placeholder in a header name or a query name', () => {
    expect(resolvePlaceholders(req({ headers: [[`X-${GH}`, 'v']] }), table)).toMatchObject({ ok: false, body: { error: 'credential_placeholder_misplaced' } });
    expect(resolvePlaceholders(req({ target: `/?${GH}=v` }), table)).toMatchObject({ ok: false, body: { error: 'credential_placeholder_misplaced' } });
  });

  it('refuses an unknown placeholder (another sandbox, a revoked one): fail closed', () => {
    const out = resolvePlaceholders(req({ headers: [['Authorization', 'Bearer OPENSHELL_PLACEHOLDER_GITHUB_TOKEN_ffffffffffffffffffffffff']] }), table);
    expect(out).toMatchObject({ ok: false, status: 403, body: { error: 'credential_placeholder_unknown' } });
  });

  it('refuses to send a credential over plain HTTP', () => {
    const out = resolvePlaceholders(req({ scheme: 'http', headers: [['Authorization', `Bearer ${GH}`]] }), table);
    expect(out).toMatchObject({ ok: false, status: 403, body: { error: 'credential_requires_tls', provider: 'gh' } });
  });

  it('reports the wrong host first when a request has several problems', () => {
    const r = req({ host: 'evil.example', target: `/${GH}`, headers: [['A', 'OPENSHELL_PLACEHOLDER_X'], ['B', GH]] });
    expect(resolvePlaceholders(r, table)).toMatchObject({ body: { error: 'credential_endpoint_mismatch' } });
  });

  it('never puts a secret in a refusal, whatever the request (property)', () => {
    const part = fc.constantFrom(GH, PW, 'x', '%4F', ' ', 'Basic ', '?', '&', '=', '/', '+');
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), fc.array(part, { maxLength: 8 }), fc.constantFrom('api.github.com', 'evil.example'), (h, t, host) => {
        const out = resolvePlaceholders(req({ host, target: `/${t.join('')}`, headers: [['X', h.join('')]] }), table);
        if (!out.ok) {
          const text = JSON.stringify(out);
          expect(text).not.toContain(SECRET);
          expect(text).not.toContain('pä ss');
        }
        // A secret is only ever produced for a declared host.
        if (out.ok && host === 'evil.example') expect(JSON.stringify(out)).not.toContain(SECRET);
      }),
    );
  });
});

describe('pieces', () => {
  it('hostMatches: exact (case-insensitive, trailing dot), port-pinned, wildcard one label', () => {
    expect(hostMatches('api.github.com', 'API.GitHub.com.', 8443)).toBe(true);
    expect(hostMatches('api.github.com:443', 'api.github.com', 8443)).toBe(false);
    expect(hostMatches('*.github.com', 'api.github.com', 1)).toBe(true);
    expect(hostMatches('*.github.com', 'github.com', 1)).toBe(false);
    expect(hostMatches('*.github.com', 'evilgithub.com', 1)).toBe(false);
    expect(hostMatches('*.github.com', 'a.b.github.com', 1)).toBe(false);
  });

  it('mentionsPlaceholder is false for an ordinary request (the fast path)', () => {
    expect(mentionsPlaceholder(req({ headers: [['Authorization', `Basic ${b64('u:p')}`]], target: '/a?b=%41' }))).toBe(false);
  });

  it('parses providers.json and refuses a malformed one without echoing values', () => {
    const t = parseProvidersFile(JSON.stringify({ version: 1, placeholders: entries }));
    expect(t.size).toBe(2);
    const bad = JSON.stringify({ version: 1, placeholders: [{ ...entries[0], hosts: [] }] });
    expect(() => parseProvidersFile(bad)).toThrow('providers.json: placeholder entry 0 is malformed');
    try {
      parseProvidersFile(bad);
    } catch (err) {
      expect(String(err)).not.toContain(SECRET);
    }
  });
});

describe('absolute-form plain HTTP (forward.ts)', () => {
  const lines: Record<string, unknown>[] = [];
  const events = new EventSink({ dir: mkdtempSync(join(tmpdir(), 'plain-')), sandbox: 't', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const guard = plainHttpGuard(table, events);
  const identity = { ok: true, binary: '/usr/bin/curl', pid: 7, ancestors: ['/bin/sh'], cmdline: ['curl'], hash: 'sha256:x' } as const;
  const plain = (host: string, rawHeaders: string[], path = '/'): ReturnType<typeof guard> => guard({ host, port: 80, method: 'GET', path, rawHeaders, identity });

  it('lets a request without placeholders through', () => {
    expect(plain('api.github.com', ['Host', 'api.github.com', 'Authorization', 'Bearer real-token-typed-by-hand'])).toBeNull();
  });

  it('never sends a credential in clear, even to a declared host, and refuses a placeholder to any other host', () => {
    expect(plain('api.github.com', ['Authorization', `Bearer ${GH}`])).toMatchObject({ ok: false, status: 403, body: { error: 'credential_requires_tls' } });
    expect(plain('evil.example', ['Authorization', `Bearer ${GH}`])).toMatchObject({ ok: false, status: 403, body: { error: 'credential_endpoint_mismatch' } });
    expect(plain('evil.example', [], `/?t=${GH}`)).toMatchObject({ ok: false, body: { error: 'credential_endpoint_mismatch' } });
  });

  it('logs each refusal as an L7 deny, without the secret', () => {
    expect(lines.filter((l) => l.type === 'decision')).toHaveLength(3);
    expect(lines[0]).toMatchObject({ layer: 'l7', action: 'deny', binary: '/usr/bin/curl', host: 'api.github.com', error: 'credential_requires_tls', status: 403 });
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });
});

describe('the supervisor’s choice of interceptor', () => {
  const deps = (dir: string) => {
    const events = new EventSink({ dir, sandbox: 't', write: () => undefined });
    return { tls: new TlsAuthority(dir), events, enforcer: new Enforcer(dir, events, new FlowRegistry()) };
  };

  it('stops the supervisor on a broken providers.json rather than run without the guard, quoting no value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prov-file-'));
    writeFileSync(join(dir, 'providers.json'), `{"version":1,"placeholders":[{"secret":"${SECRET}"`);
    expect(() => sandboxStages(dir, deps(dir))).toThrow('providers.json is not valid JSON');
    writeFileSync(join(dir, 'providers.json'), JSON.stringify({ version: 1, placeholders: [{ placeholder: 'x', secret: SECRET }] }));
    expect(() => sandboxStages(dir, deps(dir))).toThrow('providers.json: placeholder entry 0 is malformed');
  });

  it('uses the policy’s interceptor alone when the sandbox has no providers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prov-none-'));
    expect(loadPlaceholders(dir)).toBeNull();
    expect(Object.keys(sandboxStages(dir, deps(dir)))).toEqual(['intercept']);
  });
});

describe('Basic credentials keep their other bytes', () => {
  it('leaves a latin1 user name byte for byte', () => {
    const raw = Buffer.concat([Buffer.from([0xe9, 0x74, 0xe9, 0x3a]), Buffer.from(GH)]);
    const out = resolvePlaceholders(req({ headers: [['Authorization', `Basic ${raw.toString('base64')}`]] }), table);
    const expected = Buffer.concat([Buffer.from([0xe9, 0x74, 0xe9, 0x3a]), Buffer.from(SECRET, 'utf8')]);
    expect(out).toEqual({ ok: true, headers: [['Authorization', `Basic ${expected.toString('base64')}`]] });
  });
});

describe('on a declared host over TLS (property)', () => {
  it('either forwards with every known placeholder replaced, or refuses; a secret appears only where a placeholder was', () => {
    const piece = fc.constantFrom(GH, 'x', ' ', ':', '%41', '=', '&', 'OPENSHELL_PLACEHOLDER_', 'Bearer ');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), fc.array(piece, { maxLength: 6 }), fc.boolean(), (h, q, basic) => {
        const value = h.join('');
        const header = basic ? `Basic ${b64(value)}` : value;
        const r = req({ target: `/p?k=${q.join('').replace(/[ &]/g, '_')}`, headers: [['X', header]] });
        const out = resolvePlaceholders(r, table);
        if (!out.ok) return;
        const text = JSON.stringify(out) + (basic ? Buffer.from(out.headers[0]![1].slice(6), 'base64').toString('utf8') : '');
        expect(text).not.toContain(GH);
        const mentioned = value.includes(GH) || q.join('').includes(GH);
        if (!mentioned) expect(text).not.toContain(SECRET);
      }),
    );
  });
});

describe('providers.json rewritten by the gateway (a provider replaced or deleted)', () => {
  const bearer = (t: PlaceholderTable) => resolvePlaceholders(req({ headers: [['Authorization', `Bearer ${GH}`]] }), t);

  it('sends the new value once the table is replaced, and names the revoked provider once it is gone', () => {
    const t = new PlaceholderTable(entries);
    t.replace([{ ...entries[0]!, secret: 'ghp_rotated' }, entries[1]!]);
    expect(bearer(t)).toMatchObject({ ok: true, headers: [['Authorization', 'Bearer ghp_rotated']] });
    t.replace([entries[1]!]);
    const out = bearer(t);
    expect(out).toMatchObject({ ok: false, status: 403, body: { error: 'credential_placeholder_unknown', provider: 'gh', key: 'GITHUB_TOKEN', reason: 'revoked credential placeholder' } });
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(JSON.stringify(out)).not.toContain('ghp_rotated');
    // Bound again (the gateway delivered it back): usable again.
    t.replace(entries);
    expect(bearer(t)).toMatchObject({ ok: true });
  });

  it('follows the file: a new value, then a broken file or none at all refuses every placeholder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prov-watch-'));
    const file = join(dir, 'providers.json');
    writeFileSync(file, JSON.stringify({ version: 1, placeholders: entries }));
    const t = loadPlaceholders(dir)!;
    const lines: ProvidersChangeLine[] = [];
    const stop = watchPlaceholders(dir, t, (l) => lines.push(l));
    const next = async (n: number): Promise<void> => {
      for (let i = 0; i < 100 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    };
    try {
      writeFileSync(file, JSON.stringify({ version: 1, placeholders: [{ ...entries[0]!, secret: 'ghp_rotated' }] }));
      await next(1);
      expect(lines[0]).toEqual({ status: 'reloaded', providers: ['gh'], keys: ['gh/GITHUB_TOKEN'] });
      expect(bearer(t)).toMatchObject({ ok: true, headers: [['Authorization', 'Bearer ghp_rotated']] });
      writeFileSync(file, JSON.stringify({ version: 1, placeholders: [{ placeholder: 'x', secret: 'ghp_rotated' }] }));
      await next(2);
      expect(lines[1]).toMatchObject({ status: 'failed' });
      expect(JSON.stringify(lines[1])).not.toContain('ghp_rotated');
      expect(bearer(t)).toMatchObject({ ok: false, status: 403 });
      writeFileSync(file, JSON.stringify({ version: 1, placeholders: entries }));
      await next(3);
      rmSync(file);
      await next(4);
      expect(lines[3]).toMatchObject({ status: 'failed' });
      expect(JSON.stringify(lines[3])).toContain('was removed');
      expect(bearer(t)).toMatchObject({ ok: false, status: 403 });
    } finally {
      stop();
    }
  });
});
