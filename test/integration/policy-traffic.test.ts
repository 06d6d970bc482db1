import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrafficEvent } from '../../core/events/traffic.ts';
import type { OcsfEvent } from '../../core/events/ocsf.ts';
import { cli, execCapture, gateway, uniqueName } from './helpers.ts';

const gw = gateway();
const name = uniqueName('traffic');

const curl = (url: string): Promise<unknown> => execCapture(gw, name, ['curl', '-sS', '-m', '5', '-o', '/dev/null', url]);
const jsonLines = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);

/** Events that the gateway's watch emits, collected until `until` holds or the time is up. */
async function collect(
  opts: Parameters<typeof gw.watchTraffic>[1],
  until: (e: TrafficEvent[]) => boolean,
  which: string | undefined = name,
  ms = 15_000,
): Promise<TrafficEvent[]> {
  const got: TrafficEvent[] = [];
  const off = gw.events.on('traffic', (e) => {
    if (e.sandbox === name) got.push(e);
  });
  let stop: () => void = () => undefined;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const check = setInterval(() => {
      if (until(got)) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 50);
    stop = gw.watchTraffic(which, { ...opts, onEnd: () => (clearInterval(check), clearTimeout(timer), resolve()) });
  });
  stop();
  off();
  return got;
}

beforeAll(async () => {
  await gw.createSandbox({ name });
  await curl('http://example.com/');
  await curl('https://denied.example.org/');
});

afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('openshell logs', () => {
  it('prints each decision readably, with the binary, the destination and why it was denied', async () => {
    const r = await cli(['logs', name]);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout.toString();
    expect(text).toMatch(/^20\d\d-\S+ {2}DENY {2}\/usr\/bin\/curl\(\d+\) → GET example\.com:80\/? \[no rule\]: .+$/m);
    expect(text).toMatch(/^20\d\d-\S+ {2}DENY {2}\/usr\/bin\/curl\(\d+\) → denied\.example\.org:443 \[no rule\]: .+$/m);
  });

  it('prints TrafficEvent JSON lines with --json and OCSF Network Activity with --ocsf', async () => {
    const events = jsonLines<TrafficEvent>((await cli(['logs', name, '--json'])).stdout.toString());
    const denied = events.find((e) => e.host === 'denied.example.org');
    expect(denied).toMatchObject({ sandbox: name, action: 'deny', port: 443, binary: '/usr/bin/curl', rule: null });
    expect(typeof denied!.seq).toBe('number');
    const ocsf = jsonLines<OcsfEvent>((await cli(['logs', name, '--ocsf'])).stdout.toString());
    const o = ocsf.find((e) => e.dst_endpoint.domain === 'denied.example.org');
    expect(o).toMatchObject({
      class_uid: 4001,
      activity_id: 1,
      action_id: 2,
      disposition_id: 2,
      severity_id: 3,
      actor: { process: { file: { path: '/usr/bin/curl' } } },
      firewall_rule: { name: '-' },
    });
    expect(o!.time).toBe(Date.parse(denied!.time));
  });

  it('shows only recent decisions with --since', async () => {
    await new Promise((r) => setTimeout(r, 2500));
    const r = await cli(['logs', name, '--json', '--since', '1s']);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines<TrafficEvent>(r.stdout.toString())).toEqual([]);
  });

  it('fails clearly for an unknown sandbox', async () => {
    const r = await cli(['logs', uniqueName('none')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not found/);
  });
});

describe('watchTraffic', () => {
  it('replays the history from the cursor, skipping seq at or below it', async () => {
    const all = await collect({ follow: false }, () => false);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const first = all[0]!.seq;
    const rest = await collect({ follow: false, sinceSeq: first }, () => false);
    expect(rest.map((e) => e.seq)).toEqual(all.slice(1).map((e) => e.seq));
  });

  it('watches every sandbox when no name is given', async () => {
    const all = await collect({ follow: false }, () => false, undefined);
    expect(all.some((e) => e.host === 'denied.example.org')).toBe(true);
  });

  it('follows new decisions as they happen', async () => {
    const before = await collect({ follow: false }, () => false);
    const last = before.at(-1)!.seq;
    const pending = collect({ sinceSeq: last }, (got) => got.some((e) => e.host === 'late.example.net'));
    await new Promise((r) => setTimeout(r, 500));
    await curl('https://late.example.net/');
    const got = await pending;
    expect(got.map((e) => e.host)).toEqual(['late.example.net']);
    expect(got[0]!.seq).toBeGreaterThan(last);
  });

  it('keeps following across a supervisor restart, and the history survives it', async () => {
    const before = await collect({ follow: false }, () => false);
    const last = before.at(-1)!.seq;
    const pending = collect({ sinceSeq: last }, (got) => got.some((e) => e.host === 'after.example.net'), name, 60_000);
    await gw.stopSandbox(name);
    await gw.startSandbox(name);
    await curl('https://after.example.net/');
    const got = await pending;
    expect(got.map((e) => e.host)).toContain('after.example.net');
    const history = jsonLines<TrafficEvent>((await cli(['logs', name, '--json'])).stdout.toString());
    expect(history.map((e) => e.host)).toEqual(expect.arrayContaining(['denied.example.org', 'after.example.net']));
    const seqs = history.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });
});
