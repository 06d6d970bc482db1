import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => `test/fixtures/policy/${name}`;

function openshell(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/openshell', ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('openshell policy (headless)', () => {
  it('validate: lists every problem with its position and exits 1', async () => {
    const r = await openshell('policy', 'validate', fixture('typos.yaml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'test/fixtures/policy/typos.yaml:4:5: error: network_policies.github.endpoint: unknown key `endpoint`, did you mean `endpoints`?',
    );
    expect(r.stdout).toContain('the policy was not loaded');
  });

  it('validate: accepts the upstream example and a preset name, with -o json', async () => {
    const ok = await openshell('policy', 'validate', fixture('upstream-example.yaml'));
    expect(ok).toMatchObject({ code: 0, stdout: 'test/fixtures/policy/upstream-example.yaml: valid (6 network rules, 8 endpoints)\n' });
    const json = await openshell('policy', 'validate', 'npm', '-o', 'json');
    expect(JSON.parse(json.stdout)).toEqual({ file: 'preset npm', valid: true, problems: [] });
  });

  it('explain: prints the decision, the reason and how to allow it', async () => {
    const r = await openshell('policy', 'explain', 'github-readonly', '--host', 'api.github.com', '--port', '443', '--binary', '/usr/bin/curl', '--method', 'DELETE', '--path', '/repos/a/b');
    expect(r.stdout).toBe(
      [
        'DENY at L7 by rule `github_api`',
        '`/usr/bin/curl` may not `DELETE /repos/a/b` on `api.github.com:443`: rule `github_api` allows only `GET /**`, `HEAD /**`, `OPTIONS /**`',
        'to allow exactly this: openshell policy update --add-allow api.github.com:443:DELETE:/repos/a/b --binary /usr/bin/curl',
        '',
      ].join('\n'),
    );
    const json = await openshell('pol', 'explain', fixture('upstream-example.yaml'), '--host', 'pypi.org', '--port', '443', '--binary', '/usr/bin/python3.12', '-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ action: 'allow', rule: 'python_packages' });
    const bad = await openshell('policy', 'explain', 'default', '--host', 'x', '--port', 'http', '--binary', '/x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port http is not a port number');
  });
});
