import { describe, expect, it } from 'vitest';
import { parseTimeout, reportOutcome, revisionTable } from '../../../src/commands/policy.ts';
import type { Revision } from '../../../core/policy/index.ts';

const rev = (status: Revision['status'], error: string | null = null): Revision => ({
  version: 3,
  hash: 'sha256:0123456789abcdef',
  author: 'a',
  source: 'x.yaml',
  createdAt: '2026-11-30T04:00:00.000Z',
  status,
  error,
  policy: { version: 1, network_policies: {} },
});

describe('policy set/update/rollback outcomes', () => {
  it('uses upstream exit codes with --wait: 0 loaded or superseded, 1 failed, 124 timeout', () => {
    expect(reportOutcome({ ok: true, changed: true, revision: rev('loaded') }, true)).toMatchObject({ exitCode: 0, text: 'revision 3 stored (0123456789ab) and loaded' });
    expect(reportOutcome({ ok: true, changed: true, revision: rev('superseded') }, true).exitCode).toBe(0);
    expect(reportOutcome({ ok: true, changed: true, revision: rev('failed', 'bad') }, true)).toMatchObject({ exitCode: 1, text: expect.stringContaining('failed to load it: bad') as string });
    expect(reportOutcome({ ok: true, changed: true, revision: rev('pending') }, true).exitCode).toBe(124);
    expect(reportOutcome({ ok: true, changed: true, revision: rev('pending') }, false).exitCode).toBe(0);
  });

  it('says when identical content made no new revision', () => {
    expect(reportOutcome({ ok: true, changed: false, revision: rev('loaded') }, true).text).toMatch(/identical to revision 3 .*no new revision/);
  });

  it('prints problems with positions for an invalid file, exit 1', () => {
    const r = reportOutcome({ ok: false, problems: [{ severity: 'error', file: 'p.yaml', line: 4, column: 7, path: 'version', message: 'must be 1' }] }, false);
    expect(r.exitCode).toBe(1);
    expect(r.text).toMatch(/^p\.yaml:4:7: error: version: must be 1/);
  });

  it('shows a revision as a header, ---, then YAML', () => {
    expect(revisionTable(rev('loaded'))).toBe(
      'Version:  3\nHash:     sha256:0123456789abcdef\nStatus:   loaded\nSource:   x.yaml\nCreated:  2026-11-30T04:00:00.000Z\n---\nversion: 1\nnetwork_policies: {}\n',
    );
  });

  it('parses --timeout seconds', () => {
    expect(parseTimeout('60')).toBe(60_000);
    expect(parseTimeout('0.5')).toBe(500);
    expect(() => parseTimeout('-1')).toThrow(/invalid --timeout/);
  });
});
