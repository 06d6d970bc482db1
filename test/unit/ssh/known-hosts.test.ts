import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey, fingerprint, keyType, knownHostName, rememberHostKey } from '../../../core/ssh/known-hosts.ts';

// A real ed25519 host key and the fingerprint `ssh-keygen -lf` printed for it.
const KEY_B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAIIT1mQWtroOosDaMZ/YvvemqgujNFMzOvQxwAn2IM+kK';
const KEY = Buffer.from(KEY_B64, 'base64');
const OTHER_B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
// `ssh-keygen -H` of "10.1.2.3 ssh-ed25519 KEY".
const HASHED = '|1|5t9imw/hKByQzYGweWbCNy8ATZk=|4fGAfS3J3Z+VhwNGbmM/AIwszfo=';

function file(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'kh-')), 'known_hosts');
  writeFileSync(f, text);
  return f;
}

describe('known_hosts', () => {
  it('shows fingerprints and key types as OpenSSH does', () => {
    expect(fingerprint(KEY)).toBe('SHA256:po5C9KHyRlpCuvm+3M/VHYIiLjpPFp/GDspMb6ugJ5Q');
    expect(keyType(KEY)).toBe('ssh-ed25519');
    expect(knownHostName('h', 22)).toBe('h');
    expect(knownHostName('h', 2222)).toBe('[h]:2222');
  });

  it('knows a host listed plainly, among several names, hashed, or with a port', () => {
    const f = file(`# comment\nother,10.1.2.3 ssh-ed25519 ${KEY_B64}\n${HASHED} ssh-ed25519 ${KEY_B64}\n[box]:2222 ssh-ed25519 ${KEY_B64}\n`);
    expect(checkHostKey([f], '10.1.2.3', KEY).status).toBe('known');
    expect(checkHostKey([file(`${HASHED} ssh-ed25519 ${KEY_B64}\n`)], '10.1.2.3', KEY).status).toBe('known');
    expect(checkHostKey([f], '[box]:2222', KEY).status).toBe('known');
    expect(checkHostKey([f], 'box', KEY).status).toBe('unknown');
  });

  it('calls a different key of the same type for a known name "changed", with file and line', () => {
    const f = file(`\n10.1.2.3 ssh-ed25519 ${OTHER_B64}\n`);
    expect(checkHostKey([f], '10.1.2.3', KEY)).toEqual({ status: 'changed', file: f, line: 2 });
  });

  it('honours wildcards, negation and @revoked; a missing file is simply empty', () => {
    expect(checkHostKey([file(`*.lab ssh-ed25519 ${KEY_B64}\n`)], 'a.lab', KEY).status).toBe('known');
    expect(checkHostKey([file(`*.lab,!a.lab ssh-ed25519 ${KEY_B64}\n`)], 'a.lab', KEY).status).toBe('unknown');
    expect(checkHostKey([file(`@revoked * ssh-ed25519 ${KEY_B64}\n`)], 'x', KEY).status).toBe('revoked');
    expect(checkHostKey(['/nonexistent/known_hosts'], 'x', KEY).status).toBe('unknown');
  });

  it('records an accepted key so the next check knows it, without gluing onto an unterminated line', () => {
    const f = file(`other ssh-ed25519 ${OTHER_B64}`);
    rememberHostKey(f, '[10.1.2.3]:2222', KEY);
    expect(readFileSync(f, 'utf8')).toBe(`other ssh-ed25519 ${OTHER_B64}\n[10.1.2.3]:2222 ssh-ed25519 ${KEY_B64}\n`);
    expect(checkHostKey([f], '[10.1.2.3]:2222', KEY).status).toBe('known');
  });
});
