import type { Connecting, GatewayDirectory } from './gateway-directory.ts';
import type { Ui } from './ui-context.ts';

type Asker = Pick<Ui, 'notify' | 'confirm' | 'prompt'>;

/** Progress on the message line; an unknown host key is a yes/no question, never a silent trust. */
export function connectingOn(ui: Asker): Connecting {
  return {
    progress: (message) => ui.notify(message),
    trustHostKey: (k) =>
      k.type === 'TLS certificate'
        ? ui.confirm(`The authenticity of gateway ${k.host} can't be established. Trust it?`, [
            { text: `Its TLS certificate fingerprint is ${k.fingerprint}.` },
            { text: 'y pins this certificate for the gateway and signs in; n refuses.', tone: 'muted' },
          ])
        : ui.confirm(`The authenticity of host ${k.host} can't be established. Trust it?`, [
            { text: `${k.type} key fingerprint is ${k.fingerprint}.` },
            { text: 'y records it in known_hosts and connects; n refuses.', tone: 'muted' },
          ]),
  };
}

/** `a`: an SSH target (`gateway start --remote`) or a served gateway's https:// URL (`gateway add`); `signal` cancels a waiting sign-in. */
export async function addGateway(ui: Asker, directory: GatewayDirectory, how: Connecting, signal?: AbortSignal): Promise<void> {
  const target = (await ui.prompt('Add a gateway: user@host[:port] over SSH, or https://host[:port] (served)'))?.trim();
  if (!target) return;
  ui.notify(`connecting to ${target} …`);
  let added;
  try {
    added = await directory.add(target, how, signal);
  } catch (err) {
    if (signal?.aborted) return ui.notify(`adding ${target} cancelled: nothing was registered`);
    throw err;
  }
  ui.notify(`added gateway ${added.name} (${added.location}); g, then Enter switches to it`);
}

/** `x`: forgets a registration after a confirmation; the host and its sandboxes stay as they are. */
export async function removeGateway(ui: Asker, directory: GatewayDirectory, name: string, current: string): Promise<boolean> {
  if (name === 'local') {
    ui.notify('`local` is the built-in gateway and cannot be removed', 'error');
    return false;
  }
  if (name === current) {
    ui.notify(`the workbench shows ${name}; switch to another gateway before removing it`, 'error');
    return false;
  }
  const lines = [{ text: 'Only the registration is forgotten: the host, its sandboxes and its images are left as they are.' }];
  if (!(await ui.confirm(`Remove gateway ${name}?`, lines))) return true;
  directory.remove(name);
  ui.notify(`removed gateway ${name}`);
  return true;
}
