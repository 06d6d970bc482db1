import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../../core/inference/config.ts';
import { scanBody } from '../../../core/inference/content.ts';
import { planRequest } from '../../../core/inference/plan.ts';
import { createScanner } from '../../../core/inference/detectors.ts';

const scanner = createScanner([{ name: 'codename', regex: 'ORCA-\\d+' }]);
// Text made of the pieces detectors look for, so matches are frequent.
const piece = fc.constantFrom('AKIA', 'IOSFODNN7EXAMPLE', ' ', '-', '@', 'a.b', '.io', '4111', '1111', 'GB82', 'WEST', '+1', '(415) ', '555-0132', 'sk-', 'ant-', 'eyJ', '.', 'ORCA-', '7', 'Xq7hR2kLm9PzW4vB8nT1', '\n', 'é', '😀');
const text = fc.oneof(fc.string({ maxLength: 200 }), fc.array(piece, { maxLength: 60 }).map((a) => a.join('')));

describe('detectors on arbitrary text', () => {
  it('return sorted, non-overlapping spans inside the text', () => {
    fc.assert(
      fc.property(text, (t) => {
        const found = scanner.scan(t);
        let end = 0;
        for (const f of found) {
          expect(f.start).toBeGreaterThanOrEqual(end);
          expect(f.end).toBeGreaterThan(f.start);
          expect(f.end).toBeLessThanOrEqual(t.length);
          end = f.end;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('leave nothing for the router to send once a redact-everything policy ran', () => {
    const compiled = compileConfig({
      version: 1,
      backends: [{ name: 'b', protocol: 'openai', url: 'http://b.example/v1', privacy: 'public', priceIn: 1, priceOut: 1 }],
      routes: [],
      policy: "version: 1\npatterns:\n  - { name: codename, regex: 'ORCA-\\d+' }\nrules:\n  - { match: '*', action: redact }\n",
    });
    if (!compiled.ok) throw new Error(compiled.error);
    fc.assert(
      fc.property(text, (t) => {
        const plan = planRequest(compiled.compiled, 'chat', { model: 'm', messages: [{ role: 'user', content: t }] }, { spentUsd: 0, down: new Set() });
        if (!plan.ok) return expect(plan.type).toBe('privacy_denied');
        expect(scanBody(plan.outgoing, compiled.compiled.privacy.scanner)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
