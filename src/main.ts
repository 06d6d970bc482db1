import { buildProgram } from './cli.ts';
import { friendlyMessage, OpenshellError } from '../core/errors.ts';

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`error: ${friendlyMessage(err)}\n`);
  process.exitCode = err instanceof OpenshellError ? err.exitCode : 1;
}
