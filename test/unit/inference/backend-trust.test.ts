import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfig } from '../../../core/inference/config.ts';
import { createRouter, type InferenceCall } from '../../../core/inference/router.ts';
import { SpendMeter } from '../../../core/inference/spend.ts';
import type { InferenceConfig } from '../../../core/inference/types.ts';
import { CertificateAuthority, createCa } from '../../../core/tls/ca.ts';
import { call, chat } from './harness.ts';

// A `private` backend behind a corporate CA: verified with the CAs the operator trusts for upstream TLS
// (`gateway start --upstream-ca`), refused with a clear reason without them.
const corp = createCa('corp inference CA');
let backend: Server;
let url = '';

beforeAll(async () => {
  const leaf = new CertificateAuthority(corp).leaf('127.0.0.1');
  backend = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'private says hi' }, finish_reason: 'stop' }] })));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(backend.address() as AddressInfo).port}/v1`;
});

afterAll(() => void backend.close());

async function routerWith(trust: string[] | undefined): Promise<{ url: string; calls: InferenceCall[]; close: () => void }> {
  const config: InferenceConfig = { version: 1, backends: [{ name: 'corp', protocol: 'openai', url, privacy: 'private', priceIn: 0, priceOut: 0 }], routes: [{ alias: 'smart', backends: ['corp'] }] };
  const compiled = compileConfig(config);
  if (!compiled.ok) throw new Error(compiled.error);
  const calls: InferenceCall[] = [];
  const context = trust && createSecureContext({ ca: [...rootCertificates, ...trust] });
  const handler = createRouter({ config: () => compiled.compiled, credential: () => undefined, spend: new SpendMeter(), emit: (c) => calls.push(c), ...(context ? { trust: () => context } : {}) });
  const server = createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => (server.closeAllConnections(), server.close()) };
}

// Refusal first: the router keeps verified backend connections alive, and a kept one is reused.
describe('https backends and the operator CAs', () => {
  it('refuses it without that CA, saying the certificate did not verify and never the URL', async () => {
    const r = await routerWith(undefined);
    try {
      const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hi'));
      expect(a.status).toBe(502);
      expect(a.text).toMatch(/certificate that could not be verified/);
      expect(a.text).not.toContain(url);
      expect(r.calls[0]!.details.fallback[0]!.error).toMatch(/--upstream-ca/);
    } finally {
      r.close();
    }
  });

  it('serves from a backend signed by a CA the operator trusts', async () => {
    const r = await routerWith([corp.certPem]);
    try {
      const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hi'));
      expect(a.status).toBe(200);
      expect(a.text).toContain('private says hi');
    } finally {
      r.close();
    }
  });
});
