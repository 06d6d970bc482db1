// One suite of gateway behaviours, run against the local embedded gateway, a remote one over SSH and a served one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Gateway } from '../../core/gateway/types.ts';
import { NotFoundError } from '../../core/errors.ts';
import { SshConnection } from '../../core/ssh/connection.ts';
import { RemoteGateway } from '../../core/ssh/gateway.ts';
import { execCapture, gateway, uniqueName } from './helpers.ts';
import { startRemoteHost, stopRemoteHost, writeSshConfig } from './remote-host.ts';
import { startServedHost } from './served-host.ts';

/** The default preset's static part, so a runtime policy change keeps what cannot change. */
const DEFAULT_TEXT = `version: 1
filesystem_policy:
  include_workdir: true
  read_only: [/usr, /lib, /proc, /dev/urandom, /app, /etc, /var/log]
  read_write: [/tmp, /dev/null]
landlock:
  compatibility: best_effort`;

interface Subject {
  readonly gw: Gateway;
  readonly teardown?: () => Promise<void>;
}

/** The contract: what every gateway must do the same way, wherever its Docker engine is. */
function describeGatewayContract(label: string, setup: () => Promise<Subject>): void {
  describe(`gateway contract: ${label}`, () => {
    let subject: Subject;
    const name = uniqueName('contract');
    const gw = (): Gateway => subject.gw;

    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.gw.deleteSandbox(name).catch(() => undefined);
      await subject?.teardown?.();
    });

    it('creates a ready sandbox that list and get show, announcing its phases on the bus', async () => {
      const phases: string[] = [];
      const off = gw().events.on('sandbox.phase', (e) => void (e.name === name && phases.push(e.phase)));
      const s = await gw().createSandbox({ name, labels: { contract: 'yes' } });
      expect(s).toMatchObject({ name, phase: 'ready', labels: { contract: 'yes' } });
      expect((await gw().listSandboxes({ contract: 'yes' })).map((x) => x.name)).toContain(name);
      expect((await gw().getSandbox(name)).phase).toBe('ready');
      await expect.poll(() => phases).toEqual(['provisioning', 'ready']);
      off();
    });

    it('exec returns the exit code and stdout byte-exact, stderr apart', async () => {
      expect((await execCapture(gw(), name, ['sh', '-c', 'exit 42'])).code).toBe(42);
      const payload = randomBytes(256 * 1024);
      const r = await execCapture(gw(), name, ['cat'], payload);
      expect(r.code).toBe(0);
      expect(r.stdout.equals(payload)).toBe(true);
      const e = await execCapture(gw(), name, ['sh', '-c', 'printf out; printf err >&2']);
      expect([e.stdout.toString(), e.stderr]).toEqual(['out', 'err']);
    });

    it('sets and rolls back policy revisions that the supervisor loads, announced on the bus', async () => {
      const announced: number[] = [];
      const off = gw().events.on('policy.revision', (e) => void (e.sandbox === name && announced.push(e.revision.version)));
      const meta = { author: 'contract', source: 'contract', wait: true, timeoutMs: 30_000 };
      const first = await gw().getPolicy(name);
      const withPypi = `${DEFAULT_TEXT}\nnetwork_policies:\n  pypi:\n    endpoints: [{ host: pypi.org, port: 443 }]\n    binaries: [{ path: /usr/bin/python3* }]\n`;
      const set = await gw().setPolicy(name, withPypi, meta);
      expect(set).toMatchObject({ ok: true, changed: true, revision: { version: first.version + 1, status: 'loaded' } });
      const bad = await gw().setPolicy(name, `${DEFAULT_TEXT}\nnetwork_policies:\n  x: { endpoints: [{ host: a.example, prot: 1 }] }\n`, meta);
      expect(bad.ok).toBe(false);
      const back = await gw().rollbackPolicy(name, first.version, meta);
      expect(back).toMatchObject({ ok: true, changed: true, revision: { version: first.version + 2, hash: first.hash, status: 'loaded' } });
      expect((await gw().listPolicyRevisions(name)).map((r) => r.version)).toEqual([1, 2, 3]);
      // Revision 1 (announced at creation) may wait in the bus backlog for a first subscriber.
      await expect.poll(() => announced.filter((v) => v > first.version)).toEqual([2, 3]);
      off();
    });

    it('stops and starts, keeping the workspace', async () => {
      await execCapture(gw(), name, ['sh', '-c', 'echo kept > /sandbox/kept.txt']);
      expect((await gw().stopSandbox(name)).phase).toBe('stopped');
      await expect(execCapture(gw(), name, ['true'])).rejects.toThrow(/is stopped/);
      expect((await gw().startSandbox(name)).phase).toBe('ready');
      expect((await execCapture(gw(), name, ['cat', '/sandbox/kept.txt'])).stdout.toString()).toBe('kept\n');
    });

    it('attaches to a main process over a hijacked stream and returns its exit code', async () => {
      const other = `${name}-a`;
      await gw().createSandbox({ name: other, command: ['sh', '-c', 'read line; echo "got:$line"; exit 3'] }, { startAgent: false });
      try {
        const stdin = new PassThrough();
        const chunks: Buffer[] = [];
        const stdout = new PassThrough().on('data', (c: Buffer) => chunks.push(c));
        const typing = setInterval(() => stdin.write('hello\n'), 500);
        const result = await gw().attach(other, { stdin, stdout }).finally(() => clearInterval(typing));
        expect(result).toEqual({ detached: false, exitCode: 3 });
        expect(Buffer.concat(chunks).toString()).toContain('got:hello');
      } finally {
        await gw().deleteSandbox(other).catch(() => undefined);
      }
    });

    it('deletes: the sandbox is gone from list and get', async () => {
      await gw().deleteSandbox(name);
      expect((await gw().listSandboxes()).map((x) => x.name)).not.toContain(name);
      await expect(gw().getSandbox(name)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}

describeGatewayContract('local embedded', () => Promise.resolve({ gw: gateway() }));

describeGatewayContract('remote over SSH', async () => {
  const host = await startRemoteHost();
  const dir = await mkdtemp(join(tmpdir(), 'openshell-contract-'));
  const { configFile } = writeSshConfig(host, dir);
  const connection = new SshConnection({ target: 'remote-test', configFile, acceptHostKey: () => Promise.resolve(true) });
  const gw = new RemoteGateway(
    { kind: 'ssh', name: 'contract-remote', remote: 'remote-test', socketPath: '/var/run/docker.sock', createdAt: '' },
    {},
    connection,
  );
  await gw.start();
  return {
    gw,
    teardown: async () => {
      gw.close();
      await stopRemoteHost();
    },
  };
});

describeGatewayContract('served over HTTPS', async () => {
  const host = await startServedHost();
  const gw = host.client();
  await gw.start();
  return {
    gw,
    teardown: async () => {
      gw.close();
      await host.close();
    },
  };
});
