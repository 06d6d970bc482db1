import { describe, expect, it } from 'vitest';
import type { EndpointInfo } from '../../../core/policy/index.ts';
import { classifyAddress, coveredBy, isMetadataHost, unmapV4 } from '../../../core/supervisor/destination.ts';
import { guardDestination, judgeAddresses } from '../../../core/supervisor/guard.ts';

const ep = (over: Partial<EndpointInfo> = {}): EndpointInfo => ({
  rule: 'r', host: 'api.example.com', ports: [443], protocol: null, enforcement: 'audit', tls: null, allowedIps: [], exactHost: true, ...over,
});

describe('the destination classifier', () => {
  it.each([
    ['127.0.0.1', 'blocked', 'loopback'],
    ['127.255.0.9', 'blocked', 'loopback'],
    ['169.254.169.254', 'blocked', 'cloud metadata'],
    ['169.254.1.1', 'blocked', 'link-local'],
    ['0.0.0.0', 'blocked', 'unspecified'],
    ['::1', 'blocked', 'loopback'],
    ['::', 'blocked', 'unspecified'],
    ['fe80::1', 'blocked', 'link-local'],
    ['fd00:ec2::254', 'blocked', 'cloud metadata'],
    ['::ffff:127.0.0.1', 'blocked', 'loopback'],
    ['::ffff:7f00:1', 'blocked', 'loopback'],
    ['::ffff:169.254.169.254', 'blocked', 'cloud metadata'],
    ['10.1.2.3', 'internal', 'private (RFC 1918)'],
    ['172.18.0.1', 'internal', 'private (RFC 1918)'],
    ['192.168.1.1', 'internal', 'private (RFC 1918)'],
    ['100.64.0.1', 'internal', 'carrier-grade NAT'],
    ['fd12::1', 'internal', 'unique local (ULA)'],
    ['::ffff:10.0.0.1', 'internal', 'private (RFC 1918)'],
  ])('%s is %s (%s)', (ip, kind, label) => {
    expect(classifyAddress(ip)).toEqual({ kind, label });
  });

  it('lets public addresses through, IPv4 and IPv6', () => {
    expect(classifyAddress('93.184.216.34')).toEqual({ kind: 'public' });
    expect(classifyAddress('172.32.0.1')).toEqual({ kind: 'public' });
    expect(classifyAddress('2606:4700::1111')).toEqual({ kind: 'public' });
    expect(classifyAddress('::ffff:8.8.8.8')).toEqual({ kind: 'public' });
  });

  it('knows metadata host names and unmaps IPv4-mapped addresses', () => {
    expect(isMetadataHost('metadata.google.internal.')).toBe(true);
    expect(isMetadataHost('example.com')).toBe(false);
    expect(unmapV4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(unmapV4('2001:db8::1')).toBe('2001:db8::1');
    expect(coveredBy(['10.0.0.0/8'], '::ffff:10.9.9.9')).toBe(true);
    expect(coveredBy(['10.0.0.0/8'], '11.0.0.1')).toBe(false);
  });
});

describe('the destination guard', () => {
  const dns = (map: Record<string, string[]>) => (h: string) => Promise.resolve(map[h] ?? []);

  it('refuses loopback, link-local and metadata even for an exact declared host', async () => {
    for (const ip of ['127.0.0.1', '169.254.169.254', '::1']) {
      const r = await guardDestination('api.example.com', 443, ep(), dns({ 'api.example.com': [ip] }));
      expect(r).toMatchObject({ ok: false, ip });
      expect(r.ok ? '' : r.detail).toContain('never allowed');
    }
    expect(await guardDestination('metadata.google.internal', 80, ep({ host: 'metadata.google.internal' }), dns({}))).toMatchObject({ ok: false });
  });

  it('refuses private answers for a wildcard rule, allows them for the exact declared host or allowed_ips', async () => {
    const wild = ep({ host: '*.example.com', exactHost: false });
    const r = await guardDestination('db.example.com', 443, wild, dns({ 'db.example.com': ['10.0.0.5'] }));
    expect(r).toMatchObject({ ok: false, ip: '10.0.0.5' });
    expect(r.ok ? '' : r.detail).toContain('declared endpoint check failed');
    expect(await guardDestination('api.example.com', 443, ep(), dns({ 'api.example.com': ['10.0.0.5'] }))).toEqual({ ok: true, addresses: ['10.0.0.5'] });
    expect(judgeAddresses('db.example.com', 443, ep({ host: '*.example.com', exactHost: false, allowedIps: ['10.0.0.0/24'] }), ['10.0.0.5'])).toEqual({ ok: true, addresses: ['10.0.0.5'] });
  });

  it('refuses the whole name when any answer is bad, and hostless ranges outside allowed_ips', async () => {
    const r = await guardDestination('api.example.com', 443, ep({ exactHost: false, host: '*.example.com' }), dns({ 'api.example.com': ['93.184.216.34', '127.0.0.1'] }));
    expect(r.ok).toBe(false);
    expect(judgeAddresses('8.8.8.8', 53, ep({ host: null, exactHost: false, allowedIps: ['10.0.0.0/8'] }), ['8.8.8.8']).ok).toBe(false);
  });

  it('refuses control-plane ports on internal addresses and unresolvable names', async () => {
    expect(judgeAddresses('k8s.example.com', 6443, ep({ host: 'k8s.example.com' }), ['10.0.0.1']).ok).toBe(false);
    const r = await guardDestination('nx.example.com', 443, ep(), () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })));
    expect(r).toMatchObject({ ok: false });
    expect(r.ok ? '' : r.detail).toContain('ENOTFOUND');
  });
});
