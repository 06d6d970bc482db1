import { describe, expect, it } from 'vitest';
import { renderTable, parseFormat } from '../../src/output.ts';

describe('renderTable', () => {
  it('aligns columns under their headers', () => {
    const out = renderTable(
      [
        { n: 'alpha', p: 'ready' },
        { n: 'b', p: 'stopped' },
      ],
      [
        { header: 'NAME', value: (r) => r.n },
        { header: 'PHASE', value: (r) => r.p },
      ],
    );
    expect(out).toBe('NAME   PHASE\nalpha  ready\nb      stopped');
  });
  it('refuses an unknown format with a hint', () => {
    expect(() => parseFormat('xml')).toThrow(/unknown output format `xml`/);
  });
});
