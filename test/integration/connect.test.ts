import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway, inTerminal, uniqueName } from './helpers.ts';

const gw = gateway();
const name = uniqueName('tty');



beforeAll(async () => {
  await gw.createSandbox({ name });
});
afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('sandbox connect in a real terminal', () => {
  it('attaches to the login shell, follows resizes, and detaches on Ctrl-P Ctrl-Q leaving it running', async () => {
    const r = await inTerminal(
      ['sandbox', 'connect', name],
      [
        ['expect', 'detach with Ctrl-P Ctrl-Q'],
        ['send', '\r'],
        ['expect', '\\$ '],
        ['send', 'echo "who=$(id -un) tty=$(tty)"\r'],
        ['expect', 'who=sandbox tty=/dev/pts/'],
        ['resize', 33, 101],
        // A person does not type within microseconds of resizing; the resize travels on its own request.
        ['sleep', 0.5],
        ['send', 'stty size\r'],
        ['expect', '33 101'],
        ['send', 'sleep 300 &\r'],
        ['send', '\x10\x11'],
        ['expect', 'detached from'],
      ],
    );
    expect(r.out).toContain('who=sandbox tty=/dev/pts/');
    expect(r.code).toBe(0);
    const ps = await inTerminal(['sandbox', 'exec', name, '--', 'sh', '-c', 'ps -eo args | grep -q "^sleep 300$" && echo alive'], []);
    expect(ps.out).toContain('alive');
    expect((await gw.getSandbox(name)).phase).toBe('ready');
  });

  it('create -- CMD attaches to the command, and its exit code becomes ours', async () => {
    const cmdName = uniqueName('cmd');
    try {
      const r = await inTerminal(
        ['sandbox', 'create', '--name', cmdName, '--', 'sh', '-c', 'printf "name? "; read n; echo "hi $n"; exit 5'],
        [
          ['expect', 'name\\? '],
          ['send', 'bob\r'],
          ['expect', 'hi bob'],
        ],
      );
      expect(r.code).toBe(5);
      const s = await gw.getSandbox(cmdName);
      expect([s.phase, s.reason]).toEqual(['error', "the agent's main process exited with code 5"]);
    } finally {
      await gw.deleteSandbox(cmdName).catch(() => undefined);
    }
  });
});
