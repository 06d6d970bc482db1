import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.ts';
import { CertificateAuthority, createCa } from '../../core/tls/ca.ts';
import { startServedHost, type ServedHost } from './served-host.ts';
import { hostUpstreamCa, untrustCa, withHostCas } from './upstream-ca-helpers.ts';

// A served gateway's clients set the upstream CAs of the server's Docker host through `start`: the
// server checks the PEM again (a client could send anything) and stores it where its own process reads it.
const corp = createCa('gap served corporate CA');
let host: ServedHost;

beforeAll(async () => {
  host = await startServedHost();
});

afterAll(async () => {
  await untrustCa(corp.certPem);
  await host?.close();
});

describe('upstream CAs through a served gateway', () => {
  it('a client adds a CA: stored on the server host, with the server reporting it as progress', async () => {
    const client = host.client();
    const notes: string[] = [];
    try {
      await client.start({ upstreamCa: await withHostCas(corp.certPem), progress: (m) => notes.push(m) });
    } finally {
      client.close();
    }
    expect(notes.join('\n')).toMatch(/upstream CA certificate\(s\) trusted: .*gap served corporate CA/);
    expect(await hostUpstreamCa()).toContain(corp.certPem.trim().split('\n')[1]);
  });

  it('the server refuses what is not a CA certificate, whatever the client checked', async () => {
    const before = await hostUpstreamCa();
    const client = host.client();
    try {
      const leaf = new CertificateAuthority(corp).leaf('api.gap.test').certPem;
      const err = await client.start({ upstreamCa: leaf }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(/is not a CA certificate/);
    } finally {
      client.close();
    }
    expect(await hostUpstreamCa()).toBe(before);
  });
});
