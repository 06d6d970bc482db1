import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, gateway, inTerminal, removeUpstream, startUpstream, uniqueName } from './helpers.ts';

const gw = gateway();
// Sorted first, so the Sandboxes cursor starts on it whatever else runs on the engine.
const name = `0${uniqueName('appr').slice(3)}`;
const peer = `${name}-upstream`;
let upstream = '';

beforeAll(async () => {
  await gw.createSandbox({ name });
  // A real upstream on the egress network: a private address the default policy does not allow.
  upstream = await startUpstream(peer);
});
afterAll(async () => {
  await removeUpstream(peer);
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('the workbench in a real terminal, against the real gateway', () => {
  it('shows a deny live, a allows exactly that request, space turns the block off again, q restores the terminal', async () => {
    const curl: string[] = [BIN, 'sandbox', 'exec', name, '--', 'curl', '-s', '-o', '/dev/null', '-w', 'status=%{http_code}', '--max-time', '5', `http://${upstream}:8080/`];
    const r = await inTerminal(
      [],
      [
        ['resize', 40, 160],
        ['expect', name],
        ['send', '\r'],
        ['expect', `showing ${name}`],
        ['send', '\t'],
        ['expect', '▸ Traffic'],
        ['run', curl],
        // The raw terminal stream has colour codes between words: match the destination alone.
        ['expect', `${upstream.replaceAll('.', '\\.')}:8080`],
        ['send', 'a'],
        ['expect', '\\+ rule `allow_'],
        ['send', 'y'],
        ['expect', 'policy revision 2'],
        // The supervisor picks a new revision up within a second; a person's retry comes later than that.
        ['sleep', 1],
        ['run', curl],
        ['send', '\t'],
        // The Policy pane's footer (raw stream: colour codes sit between a key and its words).
        ['expect', 'undo'],
        ['send', ' '],
        ['expect', 'Turn block'],
        ['send', 'y'],
        ['expect', 'policy revision 3'],
        ['sleep', 1],
        ['run', curl],
        ['send', 'q'],
      ],
      { PTY_TIMEOUT: '40' },
    );
    const runs = [...r.out.matchAll(/\[run\] status=(\d+)/g)].map((m) => m[1]);
    // On failure, the last screen says what the user would have seen.
    const screen = r.out.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g'), '').slice(-2500);
    expect(runs, screen).toEqual(['403', '200', '403']);
    expect(r.code).toBe(0);
    const tail = r.out.slice(r.out.lastIndexOf('\x1b[?1049l'));
    expect(tail).toContain('\x1b[?25h');
  });
});
