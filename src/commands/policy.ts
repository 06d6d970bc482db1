import type { Command } from 'commander';

/** `openshell policy …` — filled in by the policy engine work. */
export function registerPolicyCommands(program: Command): void {
  program.command('policy').description('Validate, explain and manage sandbox policies');
}
