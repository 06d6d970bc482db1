import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayRegistry, nameFromHost } from '../../../core/gateway/registry.ts';
import { NotFoundError, UsageError } from '../../../core/errors.ts';

const fresh = (): GatewayRegistry => new GatewayRegistry(mkdtempSync(join(tmpdir(), 'openshell-conf-')));
const remote = { name: 'build', remote: 'ci@build:2222', socketPath: '/var/run/docker.sock' };

describe('gateway registry (conf)', () => {
  it('always lists the built-in local gateway, which is active until another is selected', () => {
    const r = fresh();
    expect(r.list()).toEqual([{ name: 'local', kind: 'local' }]);
    expect(r.resolve(undefined, undefined)).toEqual({ entry: { name: 'local', kind: 'local' }, source: 'default' });
  });

  it('adds, selects and persists a remote gateway in its config directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openshell-conf-'));
    const r = new GatewayRegistry(dir);
    r.add(remote);
    r.select('build');
    expect(r.path.startsWith(dir)).toBe(true);
    const again = new GatewayRegistry(dir);
    expect(again.list().map((g) => g.name)).toEqual(['local', 'build']);
    expect(again.resolve(undefined, undefined)).toMatchObject({ entry: { name: 'build', kind: 'ssh', remote: 'ci@build:2222' }, source: 'selected' });
  });

  it('resolves -g before OPENSHELL_GATEWAY before the selected one', () => {
    const r = fresh();
    r.add(remote);
    r.add({ ...remote, name: 'other' });
    r.select('other');
    expect(r.resolve('local', 'build')).toMatchObject({ entry: { name: 'local' }, source: 'flag' });
    expect(r.resolve(undefined, 'build')).toMatchObject({ entry: { name: 'build' }, source: 'env' });
    expect(() => r.resolve('nope', undefined)).toThrow(NotFoundError);
  });

  it('removes a remote (falling back to local when it was active) but never local', () => {
    const r = fresh();
    r.add(remote);
    r.select('build');
    r.remove('build');
    expect(r.selected()).toBe('local');
    expect(() => r.remove('local')).toThrow(UsageError);
    expect(() => r.remove('build')).toThrow(NotFoundError);
    expect(() => r.add({ ...remote, name: 'local' })).toThrow(UsageError);
    expect(() => r.add({ ...remote, name: 'Bad Name' })).toThrow(UsageError);
  });

  it('derives a registration name from a host', () => {
    expect(nameFromHost('Build-Box.example')).toBe('build-box-example');
    expect(nameFromHost('10.231.0.2')).toBe('10-231-0-2');
    expect(nameFromHost('local')).toBe('remote');
  });
});
