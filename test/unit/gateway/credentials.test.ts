import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialPath, deleteCredential, readCredential, saveCredential } from '../../../core/gateway/http/credentials.ts';

describe('client credentials of served gateways', () => {
  let dir: string;
  const saved = process.env.OPENSHELL_CONFIG_DIR;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credentials-'));
    process.env.OPENSHELL_CONFIG_DIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.OPENSHELL_CONFIG_DIR;
    else process.env.OPENSHELL_CONFIG_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a token as gateways/<name>/token.json, file 0600 in a 0700 directory', () => {
    saveCredential('build', { token: 'osg_x.y', url: 'https://build.example:8443' });
    const file = credentialPath('build');
    expect(file).toBe(join(dir, 'gateways', 'build', 'token.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'gateways', 'build')).mode & 0o777).toBe(0o700);
    expect(readCredential('build')).toMatchObject({ token: 'osg_x.y', url: 'https://build.example:8443' });
  });

  it('does not hand out a token for a different URL than the one that issued it', () => {
    saveCredential('build', { token: 'osg_x.y', url: 'https://build.example:8443' });
    expect(readCredential('build', 'https://build.example:8443')?.token).toBe('osg_x.y');
    expect(readCredential('build', 'https://evil.example:8443')).toBeUndefined();
    expect(readCredential('build', 'https://build.example:9443')).toBeUndefined();
  });

  it('deletes the token (and reports whether there was one)', () => {
    saveCredential('build', { token: 'osg_x.y', url: 'https://build.example' });
    expect(deleteCredential('build')).toBe(true);
    expect(readCredential('build')).toBeUndefined();
    expect(deleteCredential('build')).toBe(false);
  });

  it('refuses names that could escape the config dir', () => {
    expect(() => credentialPath('../../etc')).toThrow(/invalid gateway name/);
  });
});
