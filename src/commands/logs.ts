import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import { toOcsf } from '../../core/events/ocsf.ts';
import { formatInferenceLine, inferenceToOcsf } from '../../core/events/ocsf-inference.ts';
import type { PolicyStatusEvent, TrafficEvent } from '../../core/events/traffic.ts';
import { openGateway } from '../connect.ts';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since 5m` / `90s` / `2h` / `1d`, or an ISO time → unix milliseconds. */
export function parseSince(value: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (m) return now - Number(m[1]) * UNIT_MS[m[2]!]!;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`invalid --since \`${value}\``, 'use a duration such as 30s, 5m, 2h or 1d, or an ISO time');
  return t;
}

/** What was asked for: `github.com:443`, or `GET github.com:443/path` for a request decision. */
function target(e: TrafficEvent): string {
  const hostPort = `${e.host}:${e.port}`;
  return e.method ? `${e.method} ${hostPort}${e.path ?? ''}` : hostPort;
}

/** What a request decision adds: status, bytes and upstream latency when the exchange happened. */
function outcome(e: TrafficEvent): string {
  const parts = [
    ...(e.status ? [String(e.status)] : []),
    ...(e.bytesIn === undefined || !e.status ? [] : [`${e.bytesIn} B`]),
    ...(e.upstreamMs === undefined ? [] : [`upstream ${e.upstreamMs} ms`]),
  ];
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

/** A request decision: `DENY POST api.example.com/repos/x (/usr/bin/curl) [rule github: read-only] 403`. */
function formatRequestLine(e: TrafficEvent, verdict: string): string {
  const where = e.port === 443 || e.port === 80 ? e.host : `${e.host}:${e.port}`;
  const rule = e.rule ? `[rule ${e.rule}${e.l7Rule ? `: ${e.l7Rule}` : ''}]` : '[no rule]';
  const head = `${e.time}  ${verdict.trim()} ${e.method} ${where}${e.path ?? ''} (${e.binary || 'unknown binary'}) ${rule}${outcome(e)}`;
  return e.action === 'deny' && e.reason ? `${head}: ${e.reason}` : head;
}

/** One readable line per decision: time, verdict, binary → destination, the rule, and why for denies. */
export function formatTrafficLine(e: TrafficEvent): string {
  const audit = e.action === 'deny' && e.enforcement === 'audit';
  const verdict = e.action === 'allow' ? 'ALLOW' : audit ? 'AUDIT' : 'DENY ';
  if (e.layer === 'l7' && e.method) return formatRequestLine(e, verdict);
  if (e.layer === 'inference') return formatInferenceLine(e, verdict);
  const layer = e.layer === 'l4' ? '' : ` (${e.layer.toUpperCase()})`;
  const rule = e.rule ? `[rule ${e.rule}]` : '[no rule]';
  const pid = e.pid === undefined ? '' : `(${e.pid})`;
  const head = `${e.time}  ${verdict} ${e.binary || '(unknown binary)'}${pid} → ${target(e)}${layer} ${rule}`;
  return e.action === 'deny' && e.reason ? `${head}: ${e.reason}` : head;
}

export function formatPolicyLine(p: PolicyStatusEvent): string {
  return `${p.time}  POLICY revision ${p.version} ${p.status}${p.error ? `: ${p.error}` : ''}`;
}

interface LogsOpts {
  follow?: boolean;
  since?: string;
  json?: boolean;
  ocsf?: boolean;
}

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .alias('lg')
    .description("Show a sandbox's egress decisions (allowed and denied connections and requests)")
    .argument('<sandbox>')
    .option('-f, --follow', 'keep printing new decisions')
    .option('--since <when>', 'only decisions since a duration ago (30s, 5m, 2h, 1d) or an ISO time')
    .option('--json', 'one TrafficEvent JSON object per line')
    .option('--ocsf', 'one OCSF 1.x JSON event per line (Network Activity 4001, HTTP Activity 4002, API Activity 6003 for inference)')
    .action(async (name: string, o: LogsOpts) => {
      if (o.json && o.ocsf) throw new UsageError('--json and --ocsf exclude each other');
      const sinceMs = o.since === undefined ? undefined : parseSince(o.since);
      const gw = openGateway();
      await gw.getSandbox(name);
      const out = (line: string): void => void process.stdout.write(line + '\n');
      const offTraffic = gw.events.on('traffic', (e) => {
        if (e.sandbox !== name) return;
        out(o.json ? JSON.stringify(e) : o.ocsf ? JSON.stringify(e.layer === 'inference' ? inferenceToOcsf(e) : toOcsf(e)) : formatTrafficLine(e));
      });
      // Policy verdicts are not egress decisions, so only the readable form shows them.
      const offPolicy = gw.events.on('policy.status', (p) => {
        if (p.sandbox === name && !o.json && !o.ocsf) out(formatPolicyLine(p));
      });
      await new Promise<void>((resolve, reject) => {
        const stop = gw.watchTraffic(name, {
          follow: o.follow ?? false,
          ...(sinceMs === undefined ? {} : { sinceMs }),
          onEnd: (err) => (err === undefined ? resolve() : reject(err instanceof Error ? err : new Error('the traffic log ended'))),
        });
        process.once('SIGINT', () => {
          stop();
          resolve();
        });
      });
      offTraffic();
      offPolicy();
    });
}
