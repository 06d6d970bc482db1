import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { optionsFor, type SshOptions } from './config-parse.ts';
import type { SshTarget } from './target.ts';
import { parseTarget } from './target.ts';

/** Where and how to connect, after ~/.ssh/config has had its say. */
export interface ResolvedHost {
  /** The name as typed (an alias or a host), used in messages. */
  readonly alias: string;
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly identityFiles: readonly string[];
  /** Jump hosts in order, each still to be resolved (`ProxyJump a,b`). */
  readonly proxyJump: readonly string[];
  readonly knownHostsFiles: readonly string[];
  /** The name host keys are recorded under (`HostKeyAlias`, else the host name). */
  readonly hostKeyName: string;
}

export interface ResolveOptions {
  /** An ssh config file other than ~/.ssh/config (`OPENSHELL_SSH_CONFIG`, `ssh -F`). */
  readonly configFile?: string;
  /** `--identity FILE`: tried before the ones ssh config names. */
  readonly identity?: string;
}

const expand = (p: string, home: string): string => (p.startsWith('~/') ? join(home, p.slice(2)) : p);

function hasSsh(): boolean {
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `ssh -G` prints the effective configuration, exactly as OpenSSH itself would use it. */
function viaSshG(t: SshTarget, configFile: string | undefined): SshOptions {
  const args = [
    ...(configFile === undefined ? [] : ['-F', configFile]),
    ...(t.port === undefined ? [] : ['-p', String(t.port)]),
    ...(t.user === undefined ? [] : ['-l', t.user]),
    '-G',
    t.host,
  ];
  const out = execFileSync('ssh', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const found: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    (found[line.slice(0, sp)] ??= []).push(line.slice(sp + 1));
  }
  return found;
}

function viaParser(t: SshTarget, configFile: string | undefined, home: string): SshOptions {
  const file = configFile ?? join(home, '.ssh', 'config');
  const opts = existsSync(file) ? optionsFor(readFileSync(file, 'utf8'), t.host) : {};
  const hostname = (opts.hostname?.[0] ?? t.host).replace(/%h/g, t.host);
  return {
    ...opts,
    hostname: [hostname],
    port: [String(t.port ?? opts.port?.[0] ?? 22)],
    user: [t.user ?? opts.user?.[0] ?? userInfo().username],
    identityfile: opts.identityfile ?? ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'],
    userknownhostsfile: opts.userknownhostsfile ?? ['~/.ssh/known_hosts'],
  };
}

/** Resolves a target through ssh config (`ssh -G` when the client is installed, else a small parser). */
export function resolveHost(target: SshTarget | string, opts: ResolveOptions = {}, useSsh = hasSsh()): ResolvedHost {
  const t = typeof target === 'string' ? parseTarget(target) : target;
  const home = homedir();
  const configFile = opts.configFile ?? process.env.OPENSHELL_SSH_CONFIG;
  const o = useSsh ? viaSshG(t, configFile) : viaParser(t, configFile, home);
  const first = (k: string): string | undefined => o[k]?.[0];
  const jump = first('proxyjump');
  const hostname = first('hostname') ?? t.host;
  const known = (o.userknownhostsfile ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== '' && v !== 'none');
  return {
    alias: t.host,
    hostname,
    port: Number(first('port') ?? t.port ?? 22),
    user: first('user') ?? t.user ?? userInfo().username,
    identityFiles: [...(opts.identity === undefined ? [] : [opts.identity]), ...(o.identityfile ?? [])].map((p) => expand(p, home)),
    proxyJump: jump === undefined || jump === 'none' ? [] : jump.split(',').map((s) => s.trim()).filter(Boolean),
    knownHostsFiles: (known.length > 0 ? known : ['~/.ssh/known_hosts']).map((p) => expand(p, home)),
    hostKeyName: first('hostkeyalias') ?? hostname,
  };
}
