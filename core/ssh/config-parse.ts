// A small reader of ~/.ssh/config for machines without the `ssh` client (which `config.ts` prefers):
// Host blocks with glob and negated patterns, first value wins, IdentityFile accumulates. No Match/Include.

/** The options openshell uses, as OpenSSH spells them in lower case. */
export type SshOptions = Readonly<Record<string, readonly string[]>>;

const MULTI = new Set(['identityfile', 'userknownhostsfile']);

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** OpenSSH: a host matches a pattern list when one pattern matches and no negated one does. */
export function hostMatches(host: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(host)) return false;
    } else if (globToRegExp(p).test(host)) matched = true;
  }
  return matched;
}

/** Splits a line into words, honouring double quotes and `key=value`. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|([^\s="]+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

/** The options that apply to `host`, in file order (first value wins, like OpenSSH). */
export function optionsFor(configText: string, host: string): SshOptions {
  const found: Record<string, string[]> = {};
  let active = true;
  for (const raw of configText.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [key0, ...args] = words(line);
    const key = (key0 ?? '').toLowerCase();
    if (key === 'host') {
      active = hostMatches(host, args);
      continue;
    }
    if (key === 'match') {
      active = args.length === 1 && args[0]?.toLowerCase() === 'all';
      continue;
    }
    if (!active || args.length === 0) continue;
    if (MULTI.has(key)) (found[key] ??= []).push(...args);
    else found[key] ??= [args.join(' ')];
  }
  return found;
}
