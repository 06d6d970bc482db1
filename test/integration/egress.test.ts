import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execCapture, gateway, uniqueName } from './helpers.ts';
import { curl, jsonBody, probe, startUpstream, supervisorLines, waitForLine, writePolicyFile } from './egress-helpers.ts';

// Who may reach the upstream: curl and bash (as an interpreter), never python3.
const gw = gateway();
const name = uniqueName('egress');
let up: { ip: string; remove: () => Promise<void> };

beforeAll(async () => {
  await gw.createSandbox({ name });
  up = await startUpstream(`${name}-up`, `${name}-up`);
  await writePolicyFile(name, {
    version: 101,
    policy: {
      version: 1,
      network_policies: {
        peer: { endpoints: [{ host: up.ip, ports: [8080, 9000] }], binaries: [{ path: '/usr/bin/curl' }, { path: '/usr/bin/bash' }] },
      },
    },
  });
  await waitForLine(name, (l) => l.type === 'policy' && l.version === 101 && l.status === 'loaded');
});

afterAll(async () => {
  await up?.remove();
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('egress by binary identity', () => {
  it('lets curl reach an allowed host, over plain HTTP and through a CONNECT tunnel', async () => {
    const plain = await curl(gw, name, 'curl', `http://${up.ip}:8080/hello.txt`);
    expect(plain).toEqual({ code: '200', body: 'hello from upstream\n' });
    const tunnel = await curl(gw, name, 'curl', `http://${up.ip}:8080/hello.txt`, ['-p']);
    expect(tunnel).toEqual({ code: '200', body: 'hello from upstream\n' });
    const lines = await supervisorLines(name);
    const allow = lines.filter((l) => l.type === 'decision' && l.action === 'allow' && l.binary === '/usr/bin/curl');
    expect(allow.length).toBeGreaterThanOrEqual(2);
    expect(allow[0]).toMatchObject({ layer: 'l4', rule: 'peer', host: up.ip, ip: up.ip, port: 8080, policyVersion: 101, sandbox: name });
    expect(typeof allow[0]!.pid).toBe('number');
    expect(allow[0]!.cmdline).toContain(`http://${up.ip}:8080/hello.txt`);
    await waitForLine(name, (l) => l.type === 'flow-end' && l.seq === allow[1]!.seq && Number(l.bytesIn) > 0);
    // Sockets are found by netlink (a hash lookup), not by walking /proc/net/tcp.
    expect(await waitForLine(name, (l) => l.type === 'identity')).toMatchObject({ method: 'netlink', inProcess: true });
  });

  it('denies python3 with a JSON 403 naming the binary and the missing rule', async () => {
    const r = await probe(gw, name, `GET http://${up.ip}:8080/hello.txt HTTP/1.1\r\nHost: ${up.ip}:8080\r\n\r\n`);
    expect(r).toMatch(/^HTTP\/1\.1 403 Forbidden\r\nContent-Type: application\/json/);
    expect(jsonBody(r)).toMatchObject({
      error: 'policy_denied',
      binary: '/usr/bin/python3.11',
      host: up.ip,
      port: 8080,
      rule_missing: { type: 'l4_allow', layer: 'l4', host: up.ip, port: 8080, binary: '/usr/bin/python3.11' },
    });
    const deny = (await supervisorLines(name)).filter((l) => l.type === 'decision' && l.binary === '/usr/bin/python3.11');
    expect(deny.at(-1)).toMatchObject({ action: 'deny', error: 'policy_denied', rule: 'peer' });
  });

  it('denies a copy of curl at another path, but allows a symlink to curl', async () => {
    const copy = await execCapture(gw, name, ['sh', '-c', `cp /usr/bin/curl "$HOME/curl-copy" && "$HOME/curl-copy" -sS -o /dev/null -w '%{http_code}' http://${up.ip}:8080/hello.txt`]);
    expect(copy.stdout.toString()).toBe('403');
    const link = await execCapture(gw, name, ['sh', '-c', `ln -sf /usr/bin/curl "$HOME/curl-link" && "$HOME/curl-link" -sS http://${up.ip}:8080/hello.txt`]);
    expect(link.stdout.toString()).toBe('hello from upstream\n');
    const lines = await supervisorLines(name);
    expect(lines.some((l) => l.type === 'decision' && l.action === 'deny' && String(l.binary).endsWith('/curl-copy'))).toBe(true);
  });

  it('refuses a socket that an allowed shell opened and handed to python3 as ambiguous', async () => {
    const py = `import os; os.write(3, b"GET http://${up.ip}:8080/hello.txt HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"); print(os.read(3, 4000).decode())`;
    const script = ['#!/bin/bash', 'exec 3<>/dev/tcp/127.0.0.1/3128', `python3 -c '${py}'`].join('\n');
    const r = await execCapture(gw, name, ['sh', '-c', `cat > "$HOME/handoff.sh" && chmod +x "$HOME/handoff.sh" && "$HOME/handoff.sh"`], Buffer.from(script));
    expect(r.stdout.toString()).toMatch(/^HTTP\/1\.1 403/);
    expect(jsonBody(r.stdout.toString().trim())).toMatchObject({ error: 'identity_ambiguous' });
    expect(String(jsonBody(r.stdout.toString().trim()).reason)).toMatch(/\/usr\/bin\/bash[\s\S]*\/usr\/bin\/python3\.11|\/usr\/bin\/python3\.11[\s\S]*\/usr\/bin\/bash/);
  });

  it('judges a script by its interpreter, and logs the script path from cmdline', async () => {
    const script = [
      '#!/bin/bash',
      'exec 3<>/dev/tcp/127.0.0.1/3128',
      `printf 'GET http://${up.ip}:8080/hello.txt HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3`,
      // A builtin read loop: a forked `cat <&3` would share the socket and be refused as ambiguous.
      'while IFS= read -r -u 3 line; do printf "%s\\n" "$line"; done',
    ].join('\n');
    const r = await execCapture(gw, name, ['sh', '-c', `cat > "$HOME/fetch.sh" && chmod +x "$HOME/fetch.sh" && "$HOME/fetch.sh"`], Buffer.from(script));
    expect(r.stdout.toString()).toMatch(/^HTTP\/1\.[01] 200[\s\S]*hello from upstream/);
    const lines = await supervisorLines(name);
    const d = lines.filter((l) => l.type === 'decision' && l.binary === '/usr/bin/bash').at(-1);
    expect(d).toMatchObject({ action: 'allow', rule: 'peer' });
    expect((d!.cmdline as string[]).some((a) => a.endsWith('/fetch.sh'))).toBe(true);
  });

  it('trusts a binary on first use and denies it once the file at that path changes', async () => {
    const home = (await execCapture(gw, name, ['sh', '-c', 'printf %s "$HOME"'])).stdout.toString();
    await writePolicyFile(name, {
      version: 102,
      policy: { version: 1, network_policies: { tool: { endpoints: [{ host: up.ip, port: 8080 }], binaries: [{ path: `${home}/tool` }] } } },
    });
    await waitForLine(name, (l) => l.type === 'policy' && l.version === 102);
    const run = `"$HOME/tool" -sS -o /dev/null -w '%{http_code}' http://${up.ip}:8080/hello.txt`;
    expect((await execCapture(gw, name, ['sh', '-c', `cp /usr/bin/curl "$HOME/tool" && ${run}`])).stdout.toString()).toBe('200');
    // Same path, different bytes (a trailing byte keeps it runnable): the first hash is the identity.
    const swap = `cp /usr/bin/curl "$HOME/tool.new" && printf x >> "$HOME/tool.new" && mv "$HOME/tool.new" "$HOME/tool"`;
    expect((await execCapture(gw, name, ['sh', '-c', `${swap} && ${run}`])).stdout.toString()).toBe('403');
    const d = (await supervisorLines(name)).filter((l) => l.type === 'decision' && l.binary === `${home}/tool`).at(-1);
    expect(d).toMatchObject({ action: 'deny', error: 'binary_tampered' });
    expect(String(d!.reason)).toContain('changed since first use');
  });
});
