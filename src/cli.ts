import { Command } from 'commander';
import { registerPolicyCommands } from './commands/policy.ts';
import { registerGatewayCommands } from './commands/gateway.ts';
import { registerSandboxCommands } from './commands/sandbox.ts';
import { registerImageCommands } from './commands/image.ts';
import { registerHome } from './commands/home.ts';
import { setGatewayFlag } from './connect.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerProviderCommands } from './commands/provider.ts';
import { registerInferenceCommands } from './commands/inference.ts';

export function buildProgram(): Command {
  const program = new Command('openshell')
    .description('Run AI agents in Docker sandboxes where every outbound connection is checked against a policy')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .option('--no-tui', 'with no command, print a summary instead of opening the terminal UI')
    .option('-g, --gateway <name>', 'gateway for this command (default: $OPENSHELL_GATEWAY, else the selected one, else local)')
    .hook('preAction', (root) => setGatewayFlag(root.opts<{ gateway?: string }>().gateway));
  registerGatewayCommands(program);
  registerSandboxCommands(program);
  registerPolicyCommands(program);
  registerLogsCommand(program);
  registerImageCommands(program);
  registerProviderCommands(program);
  registerInferenceCommands(program);
  registerHome(program);
  return program;
}
