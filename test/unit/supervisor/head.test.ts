import { describe, expect, it } from 'vitest';
import { endToEndHeaders, headSize, originForm, parseConnectTarget, parseRequestLine } from '../../../core/supervisor/head.ts';

describe('request heads', () => {
  it('reads CONNECT targets: names, IPv4, bracketed IPv6', () => {
    expect(parseConnectTarget('API.Example.com:443')).toEqual({ host: 'api.example.com', port: 443 });
    expect(parseConnectTarget('10.0.0.1:8080')).toEqual({ host: '10.0.0.1', port: 8080 });
    expect(parseConnectTarget('[2001:db8::1]:443')).toEqual({ host: '2001:db8::1', port: 443 });
  });

  it.each(['example.com', 'example.com:0', 'example.com:65536', 'example.com:-1', 'exa mple.com:443', 'a:b:443', '[zz]:443', ':443', 'example.com:44a', 'bad_\u0000host:443'])(
    'rejects the CONNECT target %j',
    (t) => expect(parseConnectTarget(t)).toHaveProperty('error'),
  );

  it('tells https absolute-form users to CONNECT, and refuses credentials or odd schemes', () => {
    expect(parseRequestLine('GET https://example.com/')).toEqual({ error: 'Use CONNECT for HTTPS URLs' });
    expect(parseRequestLine('GET ftp://example.com/')).toHaveProperty('error');
    expect(parseRequestLine('GET http://u:p@example.com/')).toHaveProperty('error');
    expect(parseRequestLine('GET http://example.com:0/')).toHaveProperty('error');
    expect(parseRequestLine('GET http://[::1]:81/x')).toMatchObject({ host: '::1', port: 81 });
  });

  it('sends origin form upstream and drops hop-by-hop headers, including ones Connection names', () => {
    expect(originForm('http://example.com')).toBe('/');
    expect(originForm('http://example.com/a/b?c=1#frag')).toBe('/a/b?c=1');
    const raw = ['Host', 'x', 'Proxy-Connection', 'keep-alive', 'Connection', 'X-Secret, keep-alive', 'X-Secret', '1', 'Accept', '*/*', 'Proxy-Authorization', 'Basic x'];
    expect(endToEndHeaders(raw)).toEqual(['Host', 'x', 'Accept', '*/*']);
  });

  it('measures the head as it came on the wire', () => {
    expect(headSize('CONNECT', 'a:1', ['Host', 'a:1'])).toBe('CONNECT a:1 HTTP/1.1\r\n'.length + 'Host: a:1\r\n'.length + 2);
  });
});
