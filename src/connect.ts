import { createInterface } from 'node:readline/promises';
import { UsageError } from '../core/errors.ts';
import { EmbeddedGateway } from '../core/gateway/embedded.ts';
import type { Gateway } from '../core/gateway/types.ts';
import { GatewayRegistry, type GatewayEntry, type HttpsEntry, type Source } from '../core/gateway/registry.ts';
import { HttpGateway } from '../core/gateway/http/client.ts';
import { readCredential } from '../core/gateway/http/credentials.ts';
import { RemoteGateway } from '../core/ssh/gateway.ts';
import type { HostKeyPrompt } from '../core/ssh/hop.ts';

/** `-g/--gateway` of this run, set once by the program's preAction hook. */
let gatewayFlag: string | undefined;

export function setGatewayFlag(name: string | undefined): void {
  gatewayFlag = name;
}

/** The gateway this command is about, and where that choice came from. */
export function resolveGateway(registry = new GatewayRegistry()): { entry: GatewayEntry; source: Source } {
  return registry.resolve(gatewayFlag);
}

/** The gateway a command talks to: `-g`, OPENSHELL_GATEWAY, the selected one, else the local engine. */
export function openGateway(): Gateway {
  return gatewayFor(resolveGateway().entry);
}

export function gatewayFor(entry: GatewayEntry, opts: { acceptHostKey?: boolean } = {}): Gateway {
  if (entry.kind === 'local') return new EmbeddedGateway('local');
  if (entry.kind === 'https') return servedGateway(entry, stderrProgress);
  const gateway = new RemoteGateway(entry, { acceptHostKey: hostKeyPrompt(opts.acceptHostKey === true) });
  gateway.events.on('gateway.notice', (e) => stderrProgress(`gateway ${entry.name}: ${e.message}`));
  return gateway;
}

/** A served gateway with this client's token for it; signing in is the user's step, so its absence is an error. */
export function servedGateway(entry: HttpsEntry, notice: (message: string) => void): HttpGateway {
  const credential = readCredential(entry.name, entry.url);
  if (!credential) {
    throw new UsageError(`not signed in to gateway \`${entry.name}\` (${entry.url})`, `run \`openshell gateway login ${entry.name}\``);
  }
  const gateway = new HttpGateway(entry.name, entry.url, { token: credential.token, fingerprint: entry.fingerprint });
  gateway.events.on('gateway.notice', (e) => notice(`gateway ${entry.name}: ${e.message}`));
  return gateway;
}

/** `--accept-host-key` trusts a new key outright; on a terminal the user is asked; otherwise it is refused. */
export function hostKeyPrompt(accept: boolean): HostKeyPrompt | undefined {
  const show = (k: Parameters<HostKeyPrompt>[0]): string =>
    `The authenticity of host '${k.host}' can't be established.\n${k.type} key fingerprint is ${k.fingerprint}.\n`;
  if (accept) {
    return (k) => {
      process.stderr.write(`${show(k)}Accepted (--accept-host-key) and recorded in known_hosts.\n`);
      return Promise.resolve(true);
    };
  }
  if (!process.stdin.isTTY) return undefined;
  return async (k) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${show(k)}Trust it and continue connecting (yes/no)? `);
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}

/** Progress lines go to stderr so stdout stays clean for -o json. */
export const stderrProgress = (message: string): void => {
  process.stderr.write(`${message}\n`);
};
