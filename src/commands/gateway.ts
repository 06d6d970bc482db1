import type { Command } from 'commander';
import { openGateway, stderrProgress } from '../connect.ts';
import { parseFormat, printData } from '../output.ts';
import type { GatewayStatus } from '../../core/gateway/types.ts';

const STATUS_COLUMNS = [
  { header: 'NAME', value: (s: GatewayStatus) => s.name },
  { header: 'STATE', value: (s: GatewayStatus) => s.state },
  { header: 'LOCATION', value: (s: GatewayStatus) => s.location },
  { header: 'ENGINE', value: (s: GatewayStatus) => s.engineVersion ?? '-' },
  { header: 'SANDBOXES', value: (s: GatewayStatus) => `${s.sandboxes} (${s.ready} ready)` },
];

export function registerGatewayCommands(program: Command): void {
  const gw = program.command('gateway').alias('gw').description('Start, inspect, stop and destroy the gateway');

  gw.command('start')
    .description('Start the local gateway: check Docker, create the egress network, repair interrupted work')
    .option('-o, --output <format>', 'table | json | yaml', 'table')
    .action(async (o: { output: string }) => {
      const format = parseFormat(o.output);
      const status = await openGateway().start({ progress: stderrProgress });
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
}
