import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadUpstreamCa, saveUpstreamCa } from '../../../core/gateway/upstream-ca.ts';
import { createCa } from '../../../core/tls/ca.ts';

let dir = '';
const saved = process.env.OPENSHELL_CONFIG_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'upstream-ca-'));
  process.env.OPENSHELL_CONFIG_DIR = dir;
});
afterEach(() => {
  if (saved === undefined) delete process.env.OPENSHELL_CONFIG_DIR;
  else process.env.OPENSHELL_CONFIG_DIR = saved;
});

describe('gateway start --upstream-ca', () => {
  it('stores the certificates per gateway and clears them with `none`', () => {
    const file = join(dir, 'corp.pem');
    writeFileSync(file, `# corporate roots\n${createCa('a').certPem}\n${createCa('b').certPem}`);
    expect(saveUpstreamCa('local', file)).toBe(2);
    expect(loadUpstreamCa('local')?.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(loadUpstreamCa('other')).toBeUndefined();
    expect(saveUpstreamCa('local', 'none')).toBe(0);
    expect(loadUpstreamCa('local')).toBeUndefined();
  });

  it('refuses a missing file, a file without certificates, and a broken certificate', () => {
    expect(() => saveUpstreamCa('local', join(dir, 'nope.pem'))).toThrow(/cannot read --upstream-ca .*ENOENT/);
    writeFileSync(join(dir, 'empty.pem'), 'hello');
    expect(() => saveUpstreamCa('local', join(dir, 'empty.pem'))).toThrow(/holds no PEM certificate/);
    writeFileSync(join(dir, 'bad.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(() => saveUpstreamCa('local', join(dir, 'bad.pem'))).toThrow(/does not parse/);
    expect(loadUpstreamCa('local')).toBeUndefined();
  });
});
