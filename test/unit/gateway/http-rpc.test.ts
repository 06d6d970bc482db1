import { describe, expect, it } from 'vitest';
import * as errors from '../../../core/errors.ts';
import { friendlyMessage, OpenshellError, RemoteError, UsageError } from '../../../core/errors.ts';
import { EmbeddedGateway } from '../../../core/gateway/embedded.ts';
import { HttpGateway } from '../../../core/gateway/http/client.ts';
import { insideOnly } from '../../../core/gateway/http/files.ts';
import { RPC, specOf, wireArgs } from '../../../core/gateway/http/rpc.ts';
import { detachBytes } from '../../../core/gateway/http/streams.ts';
import { fromWire, statusOf, toWire } from '../../../core/gateway/http/wire.ts';

const roundTrip = (err: unknown): Error => fromWire(JSON.parse(JSON.stringify(toWire(err))) as ReturnType<typeof toWire>);

describe('errors over the wire', () => {
  const classes = Object.entries(errors).filter(([, v]) => typeof v === 'function' && (v === OpenshellError || (v as { prototype?: unknown }).prototype instanceof OpenshellError));

  it('come back as the same class with message, hint and exit code, so the CLI prints the same', () => {
    expect(classes.length).toBeGreaterThanOrEqual(9);
    for (const [name, Class] of classes) {
      const original =
        Class === UsageError ? new UsageError('bad flag `--x`', 'see --help') : new (Class as typeof OpenshellError)(`a ${name}`, { exitCode: 7, hint: 'do this' });
      const back = roundTrip(original);
      expect(back).toBeInstanceOf(Class as typeof OpenshellError);
      expect(back.constructor).toBe(Class);
      expect(back.name).toBe(name);
      expect((back as OpenshellError).exitCode).toBe(original.exitCode);
      expect(friendlyMessage(back)).toBe(friendlyMessage(original));
    }
  });

  it('a subclass declared elsewhere keeps its name and exit code; a plain error keeps its message only', () => {
    class SshRefusedError extends RemoteError {}
    const back = roundTrip(new SshRefusedError('host key of h not accepted', { exitCode: 3, hint: 'check it' }));
    expect(back).toBeInstanceOf(OpenshellError);
    expect([back.name, back.message, (back as OpenshellError).exitCode, (back as OpenshellError).hint]).toEqual(['SshRefusedError', 'host key of h not accepted', 3, 'check it']);
    const plain = roundTrip(Object.assign(new Error('(HTTP code 500) server error'), { statusCode: 500 }));
    expect(plain).not.toBeInstanceOf(OpenshellError);
    expect(plain.message).toBe('(HTTP code 500) server error');
    expect(toWire('thrown string')).toEqual({ name: 'Error', message: 'thrown string' });
  });

  it('pick an HTTP status a human reading logs would expect', () => {
    expect(statusOf(new errors.NotFoundError('x'))).toBe(404);
    expect(statusOf(new UsageError('x'))).toBe(400);
    expect(statusOf(new errors.PolicyError('x'))).toBe(422);
    expect(statusOf(new errors.DockerUnavailableError('x'))).toBe(503);
    expect(statusOf(new Error('x'))).toBe(500);
  });
});

describe('the RPC table', () => {
  const STREAMED = ['exec', 'attach', 'logs', 'upload', 'download', 'watchTraffic'];

  it('names only methods the embedded gateway has, and the HTTP client has each of them', () => {
    const client = new HttpGateway('t', 'https://127.0.0.1:1', { token: 't' });
    for (const m of Object.keys(RPC)) {
      expect(typeof (EmbeddedGateway.prototype as unknown as Record<string, unknown>)[m], m).toBe('function');
      expect(typeof (client as unknown as Record<string, unknown>)[m], m).toBe('function');
    }
    for (const m of STREAMED) expect(specOf(m), m).toBeUndefined();
    client.close();
  });

  it('never serves an own property of Object as a method', () => {
    expect(specOf('constructor')).toBeUndefined();
    expect(specOf('__proto__')).toBeUndefined();
    expect(specOf('toString')).toBeUndefined();
  });

  it('strips the progress callback (it cannot travel) and trailing undefined arguments', () => {
    const progress = (_m: string): void => undefined;
    expect(wireArgs(RPC.createSandbox, [{ name: 'a' }, { progress, startAgent: false }])).toEqual({ args: [{ name: 'a' }, { startAgent: false }], progress });
    expect(wireArgs(RPC.start, [])).toEqual({ args: [] });
    expect(wireArgs(RPC.getPolicy, ['a', undefined])).toEqual({ args: ['a'] });
    expect(wireArgs(RPC.listSandboxes, [undefined])).toEqual({ args: [] });
  });

  it('refuses destroy to clients with a reason and what to do instead', () => {
    expect(RPC.destroy.refused.message).toBe('a served gateway cannot be destroyed by a client');
    expect(RPC.destroy.refused.hint).toContain('gateway stop');
  });
});

describe('tar entries accepted from a client', () => {
  const keep = (name: string, header?: object): boolean => !insideOnly('/tmp/up')(name, header as never);

  it('stay inside the folder: no escaping paths, no hard links, no symlinks pointing out', () => {
    expect(keep('/tmp/up/a/b.txt', { type: 'file' })).toBe(true);
    expect(keep('/tmp/up/a/link', { type: 'symlink', linkname: '../b.txt' })).toBe(true);
    expect(keep('/tmp/up/../etc/passwd', { type: 'file' })).toBe(false);
    expect(keep('/tmp/up/x', { type: 'link', linkname: 'a/b.txt' })).toBe(false);
    expect(keep('/tmp/up/a/out', { type: 'symlink', linkname: '/etc/shadow' })).toBe(false);
    expect(keep('/tmp/up/a/out', { type: 'symlink', linkname: '../../../etc' })).toBe(false);
  });
});

describe('detach keys', () => {
  it('become the bytes Docker watches for', () => {
    expect([...detachBytes('ctrl-p,ctrl-q')]).toEqual([0x10, 0x11]);
    expect([...detachBytes('ctrl-a,x')]).toEqual([0x01, 0x78]);
  });
});
