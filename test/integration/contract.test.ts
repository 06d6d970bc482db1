// One suite of gateway behaviours, run against the local embedded gateway and a remote one over SSH.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { NotFoundError } from '../../core/errors.ts';
import { SshConnection } from '../../core/ssh/connection.ts';
import { RemoteGateway } from '../../core/ssh/gateway.ts';
import { execCapture, gateway, uniqueName } from './helpers.ts';
import { startRemoteHost, stopRemoteHost, writeSshConfig } from './remote-host.ts';

interface Subject {
  readonly gw: EmbeddedGateway;
  readonly teardown?: () => Promise<void>;
}

/** The contract: what every gateway must do the same way, wherever its Docker engine is. */
function describeGatewayContract(label: string, setup: () => Promise<Subject>): void {
  describe(`gateway contract: ${label}`, () => {
    let subject: Subject;
    const name = uniqueName('contract');
    const gw = (): EmbeddedGateway => subject.gw;

    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.gw.deleteSandbox(name).catch(() => undefined);
      await subject?.teardown?.();
    });

    it('creates a ready sandbox that list and get show', async () => {
      const s = await gw().createSandbox({ name, labels: { contract: 'yes' } });
      expect(s).toMatchObject({ name, phase: 'ready', labels: { contract: 'yes' } });
      expect((await gw().listSandboxes({ contract: 'yes' })).map((x) => x.name)).toContain(name);
      expect((await gw().getSandbox(name)).phase).toBe('ready');
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
