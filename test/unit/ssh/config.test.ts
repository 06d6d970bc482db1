import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostMatches, optionsFor } from '../../../core/ssh/config-parse.ts';
import { resolveHost } from '../../../core/ssh/config.ts';

const CONFIG = `
# a comment
Host build box-*
  HostName 10.9.8.7
  Port 2222
  User ci
  IdentityFile ~/.ssh/build_key
  IdentityFile /keys/second
  ProxyJump jump@bastion:2200
  UserKnownHostsFile /tmp/kh1 /tmp/kh2

Host *
  User fallback
  IdentityFile ~/.ssh/id_ed25519
`;

const hasSsh = ((): boolean => {
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function configFile(): string {
  const f = join(mkdtempSync(join(tmpdir(), 'sshcfg-')), 'config');
  writeFileSync(f, CONFIG);
  return f;
}

describe('ssh config', () => {
  it('matches Host patterns with globs and negation', () => {
    expect(hostMatches('box-1', ['build', 'box-*'])).toBe(true);
    expect(hostMatches('box-1', ['box-*', '!box-1'])).toBe(false);
    expect(hostMatches('other', ['build'])).toBe(false);
  });

  it('takes the first value of an option and accumulates identity files', () => {
    const o = optionsFor(CONFIG, 'build');
    expect(o.user).toEqual(['ci']);
    expect(o.identityfile).toEqual(['~/.ssh/build_key', '/keys/second', '~/.ssh/id_ed25519']);
    expect(optionsFor(CONFIG, 'elsewhere').user).toEqual(['fallback']);
  });

  // The same answers from the built-in parser and, where installed, from `ssh -G`.
  for (const viaSsh of hasSsh ? [false, true] : [false]) {
    it(`resolves an alias through HostName, Port, User, IdentityFile, ProxyJump, UserKnownHostsFile (${viaSsh ? 'ssh -G' : 'parser'})`, () => {
      const r = resolveHost('build', { configFile: configFile(), identity: '/flag/key' }, viaSsh);
      expect(r).toMatchObject({ alias: 'build', hostname: '10.9.8.7', port: 2222, user: 'ci', proxyJump: ['jump@bastion:2200'] });
      expect(r.identityFiles.slice(0, 3)).toEqual(['/flag/key', join(homedir(), '.ssh/build_key'), '/keys/second']);
      expect(r.knownHostsFiles).toEqual(['/tmp/kh1', '/tmp/kh2']);
      expect(r.hostKeyName).toBe('10.9.8.7');
    });

    it(`lets the typed user and port win over ssh config (${viaSsh ? 'ssh -G' : 'parser'})`, () => {
      const r = resolveHost('root@build:22', { configFile: configFile() }, viaSsh);
      expect([r.user, r.port]).toEqual(['root', 22]);
      const plain = resolveHost('me@10.0.0.1', { configFile: configFile() }, viaSsh);
      expect(plain).toMatchObject({ hostname: '10.0.0.1', port: 22, user: 'me', proxyJump: [] });
    });
  }
});
