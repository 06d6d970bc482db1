import { describe, expect, it } from 'vitest';
import { ChunkedFramer } from '../../../core/supervisor/l7/chunked.ts';
import { findHeadEnd, parseRequestHead, parseResponseHead } from '../../../core/supervisor/l7/http.ts';
import { forwardTarget } from '../../../core/supervisor/l7/target.ts';

const head = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('the strict HTTP/1.1 head parser', () => {
  it('finds the end of a head, waits for more, and refuses bare LF / CR and oversized heads', () => {
    expect(findHeadEnd(head('GET / HTTP/1.1\r\nHost: a\r\n\r\nrest'))).toBe(27);
    expect(findHeadEnd(head('GET / HTTP/1.1\r\nHost: a\r\n'))).toBe(-1);
    expect(findHeadEnd(head('GET / HTTP/1.1\r'))).toBe(-1);
    expect(findHeadEnd(head('GET / HTTP/1.1\nHost: a\n\n'))).toMatchObject({ status: 400, error: /bare LF/ });
    expect(findHeadEnd(head('GET / HTTP/1.1\rHost: a\r\n\r\n'))).toMatchObject({ status: 400, error: /bare CR/ });
    expect(findHeadEnd(head('\r\nGET / HTTP/1.1\r\n\r\n'))).toMatchObject({ status: 400 });
    expect(findHeadEnd(head(`GET / HTTP/1.1\r\nX: ${'a'.repeat(17000)}`))).toMatchObject({ status: 431 });
  });

  it('resumes the scan after the lines already checked', () => {
    const full = head('GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n');
    let from = 0;
    for (let n = 1; n < full.length; n++) {
      const part = full.subarray(0, n);
      expect(findHeadEnd(part, undefined, from)).toBe(-1);
      from = part.lastIndexOf(10) + 1;
    }
    expect(findHeadEnd(full, undefined, from)).toBe(full.length);
    expect(findHeadEnd(head('GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n'), undefined, 16)).toMatchObject({ status: 400 });
  });

  it('parses a request with its framing, keep-alive and WebSocket upgrade', () => {
    const r = parseRequestHead(head('POST /x?y=1 HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 12\r\nX-Pad:  v  \r\n\r\n'));
    expect(r).toMatchObject({ method: 'POST', target: '/x?y=1', version: '1.1', host: 'api.example.com', framing: { kind: 'length', length: 12 }, keepAlive: true, websocket: false });
    expect(r).toHaveProperty('headers', [['Host', 'api.example.com'], ['Content-Length', '12'], ['X-Pad', 'v']]);
    expect(parseRequestHead(head('GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n'))).toMatchObject({ framing: { kind: 'chunked' }, keepAlive: false });
    expect(parseRequestHead(head('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n'))).toMatchObject({ websocket: true });
    expect(parseRequestHead(head('GET / HTTP/1.0\r\n\r\n'))).toMatchObject({ version: '1.0', host: null, keepAlive: false });
  });

  it.each([
    ['both lengths', 'Content-Length: 1\r\nTransfer-Encoding: chunked', 400],
    ['two lengths', 'Content-Length: 1\r\nContent-Length: 1', 400],
    ['a length list', 'Content-Length: 1, 1', 400],
    ['a signed length', 'Content-Length: +1', 400],
    ['obs-fold', 'X: a\r\n  b', 400],
    ['a space before the colon', 'Content-Length : 1', 400],
    ['a control byte', 'X: a\u0001b', 400],
    ['gzip coding', 'Transfer-Encoding: gzip, chunked', 501],
    ['two TE headers', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked', 501],
    ['two Hosts', 'Host: b', 400],
  ])('refuses %s', (_what, extra, status) => {
    expect(parseRequestHead(head(`POST / HTTP/1.1\r\nHost: a\r\n${extra}\r\n\r\n`))).toMatchObject({ status });
  });

  it('refuses malformed request lines and a missing Host in HTTP/1.1', () => {
    expect(parseRequestHead(head('GET  / HTTP/1.1\r\nHost: a\r\n\r\n'))).toMatchObject({ status: 400 });
    expect(parseRequestHead(head('GET / HTTP/2.0\r\nHost: a\r\n\r\n'))).toMatchObject({ status: 400 });
    expect(parseRequestHead(head('G(T / HTTP/1.1\r\nHost: a\r\n\r\n'))).toMatchObject({ status: 400 });
    expect(parseRequestHead(head('GET / HTTP/1.1\r\n\r\n'))).toMatchObject({ status: 400, error: 'no Host header' });
  });

  it('frames responses by the request method and status', () => {
    expect(parseResponseHead(head('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'), 'HEAD')).toMatchObject({ framing: { kind: 'none' } });
    expect(parseResponseHead(head('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n'), 'GET')).toMatchObject({ framing: { kind: 'none' } });
    expect(parseResponseHead(head('HTTP/1.1 200 OK\r\n\r\n'), 'GET')).toMatchObject({ framing: { kind: 'close' }, keepAlive: false });
    expect(parseResponseHead(head('HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n'), 'GET')).toMatchObject({ keepAlive: true });
    expect(parseResponseHead(head('SSH-2.0-x\r\n\r\n'), 'GET')).toMatchObject({ status: 502 });
  });
});

describe('the chunked framer', () => {
  it('finds the end across any split, with extensions and trailers, and leaves the next message', () => {
    const body = '5;a=b\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT';
    for (let cut = 1; cut < body.length - 4; cut++) {
      const f = new ChunkedFramer();
      const a = f.feed(Buffer.from(body.slice(0, cut)));
      expect(a).toMatchObject({ used: cut, done: false });
      const b = f.feed(Buffer.from(body.slice(cut)));
      expect(b).toEqual({ used: body.length - 4 - cut, done: true });
    }
  });

  it.each([['0x5\r\n'], [' 5\r\n'], ['5 \r\n'], ['-1\r\n'], ['\r\n'], ['5\nhello'], ['1\r\nab\r\n'], ['FFFFFFFFFFFFFF\r\n'], ['0\r\nBad Trailer\r\n\r\n']])('refuses %j', (raw) => {
    expect(new ChunkedFramer().feed(Buffer.from(raw))).toMatchObject({ status: 400 });
  });
});

describe('the forwarded target', () => {
  it.each([
    ['/repos/x/../y', '/repos/y'],
    ['/repos/x/%2e%2E/y', '/repos/y'],
    ['//admin', '/admin'],
    ['/admin;x', '/admin'],
    ['/a;p/b;q?x=1;2', '/a/b?x=1;2'],
    ['/a/./b/', '/a/b/'],
    ['/%7euser/%41', '/~user/A'],
    ['/a%2fb', '/a%2Fb'],
    ['/sp ace/é', '/sp%20ace/%C3%A9'],
    ['/', '/'],
  ])('%s → %s', (raw, out) => {
    expect(forwardTarget(raw)).toBe(out);
  });

  it('has no canonical form for a path above the root, a bad escape, or a non-origin target', () => {
    expect(forwardTarget('/../x')).toBeNull();
    expect(forwardTarget('/a%zz')).toBeNull();
    expect(forwardTarget('*')).toBeNull();
  });
});
