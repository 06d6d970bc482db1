import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authMethods, connectHop } from '../../../core/ssh/hop.ts';
import type { ResolvedHost } from '../../../core/ssh/config.ts';
import { PassThrough } from 'node:stream';

const dir = mkdtempSync(join(tmpdir(), 'ssh-auth-'));
const plain = join(dir, 'plain');
const locked = join(dir, 'locked');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plain]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', locked]);

const host = (identityFiles: string[]): ResolvedHost => ({
  alias: 'box',
  hostname: '10.0.0.1',
  port: 22,
  user: 'me',
  identityFiles,
  proxyJump: [],
  knownHostsFiles: [],
  hostKeyName: '10.0.0.1',
});

describe('SSH authentication methods', () => {
  it('offers ssh-agent first, then identity files that parse; an encrypted one is named, never shown', () => {
    const { methods, skipped } = authMethods(host([locked, plain, '/missing/key', plain]), '/run/agent.sock');
    expect(methods.map((m) => m.type)).toEqual(['agent', 'publickey']);
    expect(skipped).toEqual([`${locked} (encrypted or unreadable: add it to ssh-agent)`]);
    expect(skipped.join('')).not.toContain(readFileSync(locked, 'utf8').slice(40, 80));
  });

  it('fails before connecting when there is no key at all, with a hint', async () => {
    const err = await connectHop(host(['/missing/key']), new PassThrough(), {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: 'no SSH key to offer to me@box', exitCode: 3 });
  });
});
