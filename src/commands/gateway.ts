import type { Command } from 'commander';
import { gatewayFor, openGateway, resolveGateway, stderrProgress } from '../connect.ts';
import { parseFormat, printData } from '../output.ts';
import type { GatewayStatus } from '../../core/gateway/types.ts';
import { GatewayRegistry, nameFromHost, remoteLocation, type GatewayEntry } from '../../core/gateway/registry.ts';
import { REMOTE_DOCKER_SOCKET } from '../../core/ssh/docker.ts';
import { describeEndpoint, LOCAL_ENDPOINT } from '../../core/docker/client.ts';
import type { RemoteGateway } from '../../core/ssh/gateway.ts';
import { parseTarget } from '../../core/ssh/target.ts';
import { resolve as resolvePath } from 'node:path';
import { readUpstreamCaFile } from '../../core/gateway/upstream-ca.ts';
import { deleteCredential, readCredential } from '../../core/gateway/http/credentials.ts';
import { registerGatewayAuthCommands } from './gateway-auth.ts';
import { registerGatewayTokenCommands } from './gateway-tokens.ts';
import { registerServeCommand } from './gateway-serve.ts';

const STATUS_COLUMNS = [
  { header: 'NAME', value: (s: GatewayStatus) => s.name },
  { header: 'STATE', value: (s: GatewayStatus) => s.state },
  { header: 'LOCATION', value: (s: GatewayStatus) => s.location },
  { header: 'ENGINE', value: (s: GatewayStatus) => s.engineVersion ?? '-' },
  { header: 'SANDBOXES', value: (s: GatewayStatus) => `${s.sandboxes} (${s.ready} ready)` },
];

interface Listed {
  readonly active: boolean;
  readonly name: string;
  readonly type: GatewayEntry['kind'];
  readonly endpoint: string;
  readonly identity?: string;
  /** Served gateways only: whether this client holds a token for it (never the token). */
  readonly signedIn?: boolean;
}

const endpointOf = (e: GatewayEntry): string =>
  e.kind === 'local' ? describeEndpoint(LOCAL_ENDPOINT) : remoteLocation(e);

const listed = (e: GatewayEntry, active: string): Listed => ({
  active: e.name === active,
  name: e.name,
  type: e.kind,
  endpoint: endpointOf(e),
  ...(e.kind === 'ssh' && e.identity !== undefined ? { identity: e.identity } : {}),
  ...(e.kind === 'https' ? { signedIn: readCredential(e.name, e.url) !== undefined } : {}),
});

const LIST_COLUMNS = [
  { header: '', value: (g: Listed) => (g.active ? '*' : '') },
  { header: 'NAME', value: (g: Listed) => g.name },
  { header: 'TYPE', value: (g: Listed) => g.type },
  { header: 'ENDPOINT', value: (g: Listed) => g.endpoint },
  { header: 'AUTH', value: (g: Listed) => (g.signedIn === undefined ? '-' : g.signedIn ? 'token' : 'signed out') },
];

/** Registration, selection and inspection of gateways (`list`, `select`, `remove`, `info`). */
function registerRegistryCommands(gw: Command): void {
  gw.command('list')
    .description('Registered gateways; `*` marks the one commands use')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action((o: { output: string }) => {
      const format = parseFormat(o.output);
      const registry = new GatewayRegistry();
      const active = resolveGateway(registry).entry.name;
      printData(registry.list().map((e) => listed(e, active)), format, LIST_COLUMNS);
    });

  gw.command('select')
    .argument('<name>', 'a registered gateway (`local` is always there)')
    .description('Make a gateway the default for later commands')
    .action((name: string) => {
      new GatewayRegistry().select(name);
      process.stderr.write(`active gateway: ${name}\n`);
      const env = process.env.OPENSHELL_GATEWAY;
      if (env && env !== name) process.stderr.write(`warning: OPENSHELL_GATEWAY=${env} still overrides it in this shell\n`);
    });

  gw.command('remove')
    .argument('<name>', 'a registered remote gateway')
    .description('Forget a remote gateway (its host, sandboxes and images are left as they are)')
    .action((name: string) => {
      new GatewayRegistry().remove(name);
      if (deleteCredential(name)) process.stderr.write(`deleted the sign-in token of ${name} here (\`gateway logout\` first also revokes it on the gateway)\n`);
      process.stderr.write(`removed gateway ${name}\n`);
    });

  gw.command('info')
    .description('The gateway commands use now: where it is, why it was chosen, and its engine')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (o: { output: string }) => {
      const format = parseFormat(o.output);
      const { entry, source } = resolveGateway();
      const gateway = gatewayFor(entry);
      const started = Date.now();
      const status = await gateway.status();
      const info = { ...listed(entry, entry.name), source, state: status.state, engine: status.engineVersion ?? '-', sandboxes: status.sandboxes, responseMs: Date.now() - started };
      printData(info, format, [
        ...LIST_COLUMNS.slice(1),
        { header: 'SOURCE', value: () => source },
        { header: 'STATE', value: () => status.state },
        { header: 'ENGINE', value: () => info.engine },
        { header: 'SANDBOXES', value: () => String(status.sandboxes) },
      ]);
      if (status.state === 'unreachable') process.exitCode = 3;
    });
}

interface StartOptions {
  output: string;
  remote?: string;
  name?: string;
  identity?: string;
  acceptHostKey?: boolean;
  socket: string;
  upstreamCa?: string;
}

/** `gateway start --remote`: connect, provision (network, images), then register and select it. */
async function startRemote(o: StartOptions, upstreamCa: string | null | undefined): Promise<GatewayStatus> {
  const target = parseTarget(o.remote ?? '');
  const registry = new GatewayRegistry();
  const entry = {
    kind: 'ssh' as const,
    name: o.name ?? nameFromHost(target.host),
    remote: o.remote ?? '',
    socketPath: o.socket,
    createdAt: new Date().toISOString(),
    ...(o.identity === undefined ? {} : { identity: resolvePath(o.identity) }),
  };
  const gateway = gatewayFor(entry, { acceptHostKey: o.acceptHostKey === true }) as RemoteGateway;
  try {
    const status = await gateway.start({ progress: stderrProgress, ...(upstreamCa === undefined ? {} : { upstreamCa }) });
    registry.add(entry);
    registry.select(entry.name);
    stderrProgress(`registered and selected gateway ${entry.name} (back to this machine: \`openshell gateway select local\`)`);
    return status;
  } finally {
    gateway.close();
  }
}

export function registerGatewayCommands(program: Command): void {
  const gw = program.command('gateway').alias('gw').description('Register, select, start, inspect, stop and destroy gateways');

  gw.command('start')
    .description('Start a gateway: check Docker, create the egress network, repair interrupted work (and with --remote, provision a Docker host over SSH)')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .option('--remote <user@host[:port]>', 'a Docker host reached over SSH (ssh config aliases work)')
    .option('--name <name>', 'name to register the remote gateway under (default: from the host)')
    .option('--identity <file>', 'SSH private key (default: ssh-agent and ~/.ssh/config)')
    .option('--accept-host-key', 'trust the host key of a host seen for the first time (check its fingerprint)')
    .option('--socket <path>', 'Docker socket on the remote host', REMOTE_DOCKER_SOCKET)
    .option('--upstream-ca <file>', 'PEM CA certificates trusted (beside the public roots) for intercepted upstream TLS, stored on the Docker host for every client and delivered to its sandboxes, running ones included; `none` clears them')
    .action(async (o: StartOptions) => {
      const format = parseFormat(o.output);
      // Read and checked here (the file is this machine's); the gateway checks it again and stores it on its host.
      const upstreamCa = o.upstreamCa === undefined ? undefined : readUpstreamCaFile(o.upstreamCa);
      const extra = upstreamCa === undefined ? {} : { upstreamCa };
      const status = o.remote === undefined ? await openGateway().start({ progress: stderrProgress, ...extra }) : await startRemote(o, upstreamCa);
      printData(status, format, STATUS_COLUMNS);
    });

  gw.command('status')
    .description('Show whether the gateway and its Docker engine are up, and how many sandboxes it runs')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (o: { output: string }) => {
      const format = parseFormat(o.output);
      const status = await openGateway().status();
      printData(status, format, STATUS_COLUMNS);
      if (status.state === 'unreachable') process.exitCode = 3;
    });

  gw.command('stop')
    .description('Stop every sandbox of the gateway (their state is kept; `sandbox start` brings one back)')
    .action(async () => {
      await openGateway().stop();
      process.stderr.write('all sandboxes stopped\n');
    });

  gw.command('destroy')
    .description('Delete every sandbox, its workspace and state, and the egress network (images are kept)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (o: { yes?: boolean }) => {
      const gateway = openGateway();
      const count = (await gateway.status()).sandboxes;
      if (count > 0 && !o.yes) {
        const { confirm } = await import('../prompt.ts');
        if (!(await confirm(`Delete ${count} sandbox(es) and their workspaces?`))) return;
      }
      await gateway.destroy();
      process.stderr.write('gateway destroyed\n');
    });

  registerRegistryCommands(gw);
  registerGatewayAuthCommands(gw);
  registerGatewayTokenCommands(gw);
  registerServeCommand(gw);
}
