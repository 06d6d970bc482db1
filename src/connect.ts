import { EmbeddedGateway } from '../core/gateway/embedded.ts';
import type { Gateway } from '../core/gateway/types.ts';

/** The gateway a command talks to: the local embedded one for now (remote and served ones come later). */
export function openGateway(): Gateway {
  return new EmbeddedGateway('local');
}

/** Progress lines go to stderr so stdout stays clean for -o json. */
export const stderrProgress = (message: string): void => {
  process.stderr.write(`${message}\n`);
};
