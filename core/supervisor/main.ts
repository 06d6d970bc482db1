// Entry point of the supervisor container: fence first, then the proxy; any failure exits non-zero.
import { installFence } from './fence.ts';
import { startProxy } from './proxy.ts';
import { sendDeny } from './deny.ts';

function log(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
}

async function main(): Promise<void> {
  const fence = installFence();
  log({ type: 'fence', ...fence });
  const server = await startProxy({ host: '127.0.0.1', port: 3128 }, (req, socket) => {
    // No policy engine in the supervisor yet: fail closed with upstream's deny body.
    const what = req.method === 'CONNECT' ? `CONNECT ${req.host}:${req.port}` : `${req.method} ${req.target}`;
    sendDeny(socket, 403, {
      error: 'policy_denied',
      detail: `${what} not permitted by policy`,
      reason: 'network connections not allowed by policy',
      host: req.host,
      port: req.port,
    });
    log({ type: 'decision', action: 'deny', host: req.host, port: req.port, method: req.method });
  });
  log({ type: 'ready', proxy: '127.0.0.1:3128' });
  const shutdown = (): void => {
    server.close();
    log({ type: 'stopping' });
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  log({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
