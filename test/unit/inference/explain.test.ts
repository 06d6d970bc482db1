import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../../core/inference/config.ts';
import { redactBody, scanBody } from '../../../core/inference/content.ts';
import { createScanner } from '../../../core/inference/detectors.ts';
import { explainRequest, formatExplanation } from '../../../core/inference/explain.ts';
import type { InferenceConfig } from '../../../core/inference/types.ts';
import { AWS_KEY } from './harness.ts';

const config: InferenceConfig = {
  version: 1,
  backends: [
    { name: 'local', protocol: 'openai', url: 'http://172.17.0.1:11434/v1', privacy: 'local', priceIn: 0, priceOut: 0.5 },
    { name: 'cloud', protocol: 'openai', url: 'https://api.example.com/v1', privacy: 'public', priceIn: 0.1, priceOut: 0.2, provider: 'openai' },
  ],
  routes: [{ alias: 'fast', backends: ['local', 'cloud'] }],
};
const compiled = (() => {
  const r = compileConfig(config);
  if (!r.ok) throw new Error(r.error);
  return r.compiled;
})();

describe('inference explain', () => {
  it('names the backend, the finding that forced it, and the skipped ones, without the secret', () => {
    const e = explainRequest(compiled, 'chat', { model: 'fast', messages: [{ role: 'user', content: `key ${AWS_KEY}` }] });
    expect(e).toMatchObject({ outcome: 'route', requiredTier: 'local', order: [{ backend: 'local', tier: 'local' }], excluded: [{ backend: 'cloud', why: "is public; the request's content needs local" }] });
    expect(e.findings).toEqual([{ kind: 'aws_access_key_id', label: 'AWS access key id', at: 'messages[0].content[4..24]', rule: 'rules[0]', effect: 'needs a local backend' }]);
    const text = formatExplanation(e);
    expect(text.split('\n')[0]).toBe('→ local (local) as model `fast`');
    expect(text).toContain('skipped: cloud is public');
    expect(JSON.stringify(e) + text).not.toContain(AWS_KEY);
  });

  it('picks the cheapest backend when nothing is found', () => {
    const e = explainRequest(compiled, 'chat', { model: 'fast', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] });
    expect(e.order.map((o) => o.backend)).toEqual(['cloud', 'local']);
    expect(e.findings).toEqual([]);
  });

  it('explains a deny and a request without a model', () => {
    const r = compileConfig({ ...config, policy: 'version: 1\nrules:\n  - { match: email, action: deny }\n' });
    if (!r.ok) throw new Error(r.error);
    const e = explainRequest(r.compiled, 'chat', { model: 'fast', messages: [{ role: 'user', content: 'mail a@b.io' }] });
    expect(e).toMatchObject({ outcome: 'deny', status: 403 });
    expect(explainRequest(compiled, 'chat', { messages: [] })).toMatchObject({ outcome: 'error', status: 400 });
  });
});

describe('request content', () => {
  it('scans every text field but the model and roles, and redacts each span in place', () => {
    const body = { model: AWS_KEY, messages: [{ role: 'user', content: [{ type: 'text', text: 'a@b.io and c@d.io' }] }], tool_input: { note: 'e@f.io' } };
    const found = scanBody(body, createScanner());
    expect(found.map((f) => [f.kind, f.path])).toEqual([
      ['email', ['messages', 0, 'content', 0, 'text']],
      ['email', ['messages', 0, 'content', 0, 'text']],
      ['email', ['tool_input', 'note']],
    ]);
    const out = redactBody(body, found);
    expect(out.messages[0]!.content[0]!.text).toBe('[REDACTED:email] and [REDACTED:email]');
    expect(out.tool_input.note).toBe('[REDACTED:email]');
    expect(body.tool_input.note).toBe('e@f.io');
  });
});
