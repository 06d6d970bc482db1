import { describe, expect, it } from 'vitest';
import { parseRequestLine } from '../../core/supervisor/proxy.ts';
import { denyResponse } from '../../core/supervisor/deny.ts';
import { fenceRules } from '../../core/supervisor/fence.ts';

describe('proxy request lines', () => {
  it('reads CONNECT targets including IPv6 literals', () => {
    expect(parseRequestLine('CONNECT api.example.com:443 HTTP/1.1')).toEqual({ method: 'CONNECT', target: 'api.example.com:443', host: 'api.example.com', port: 443 });
    expect(parseRequestLine('CONNECT [::1]:8443 HTTP/1.1')).toMatchObject({ host: '::1', port: 8443 });
  });
  it('reads absolute-form http and tells https users to use CONNECT', () => {
    expect(parseRequestLine('GET http://Example.com/a?b HTTP/1.1')).toMatchObject({ host: 'example.com', port: 80 });
    expect(parseRequestLine('GET https://example.com/ HTTP/1.1')).toEqual({ error: 'Use CONNECT for HTTPS URLs' });
    expect(parseRequestLine('GET /relative HTTP/1.1')).toHaveProperty('error');
  });
});

describe('deny responses', () => {
  it('are JSON with a correct length and close the connection', () => {
    const r = denyResponse(403, { error: 'policy_denied', detail: 'CONNECT x:1 not permitted by policy' });
    const [head, body] = r.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 403 Forbidden\r\nContent-Type: application\/json\r\n/);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
    expect(head).toContain('Connection: close');
    expect(JSON.parse(body!)).toEqual({ error: 'policy_denied', detail: 'CONNECT x:1 not permitted by policy' });
  });
});

describe('the fence rules', () => {
  it('let root and loopback through but refuse Docker DNS first, and reject everything else', () => {
    const v4 = fenceRules(4).split('\n');
    const idx = (needle: string): number => v4.findIndex((l) => l.includes(needle));
    expect(idx('--uid-owner 0')).toBeLessThan(idx('127.0.0.11'));
    expect(idx('127.0.0.11')).toBeLessThan(idx('-o lo -j ACCEPT'));
    expect(v4.at(-3)).toBe('-A OUTPUT -j REJECT --reject-with icmp-port-unreachable');
    expect(fenceRules(6)).not.toContain('127.0.0.11');
    expect(fenceRules(6)).toContain('icmp6-port-unreachable');
  });
});
