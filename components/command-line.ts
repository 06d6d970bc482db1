import type { TuiHost } from './host.ts';
import type { Line, Ui } from './ui-context.ts';

export class CommandLineError extends Error {
  override readonly name = 'CommandLineError';
}

/**
 * Words of a command line as a shell would split them, without running a shell: whitespace separates,
 * '…' is literal, "…" keeps spaces and honours \" and \\, a backslash outside quotes escapes one character.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i]!;
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]!;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== null) throw new CommandLineError(`unterminated ${quote} quote`);
  if (word !== null) out.push(word);
  // `:openshell sandbox list` reads naturally too.
  return out[0] === 'openshell' ? out.slice(1) : out;
}

/** `:` — one `openshell` subcommand, typed on the prompt line, its output in a scrollable view. */
export async function runCommandLine(ui: Pick<Ui, 'prompt' | 'notify' | 'show' | 'gateway'>, host: Pick<TuiHost, 'capture'>): Promise<void> {
  const typed = await ui.prompt(':');
  if (typed === null || typed.trim() === '') return;
  const args = splitArgs(typed);
  const shown = `openshell ${typed.trim()}`;
  ui.notify(`running ${shown} …`);
  const r = await host.capture(args, ui.gateway.name);
  const lines: Line[] = r.output.map((l) => (l.stderr ? { text: l.text, tone: 'warning' } : { text: l.text }));
  ui.show(`${shown} — exit ${r.code}`, lines.length > 0 ? lines : [{ text: '(no output)', tone: 'muted' }]);
  ui.notify(`${shown} exited with code ${r.code}`, r.code === 0 ? 'info' : 'error');
}
