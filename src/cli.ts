import { Command } from 'commander';
import { registerPolicyCommands } from './commands/policy.ts';
import { registerGatewayCommands } from './commands/gateway.ts';
import { registerSandboxCommands } from './commands/sandbox.ts';
import { registerImageCommands } from './commands/image.ts';
import { registerHome } from './commands/home.ts';

export function buildProgram(): Command {
  const program = new Command('openshell')
    .description('Run AI agents in Docker sandboxes where every outbound connection is checked against a policy')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)');
  registerGatewayCommands(program);
  registerSandboxCommands(program);
  registerPolicyCommands(program);
  registerImageCommands(program);
  registerHome(program);
  return program;
}
