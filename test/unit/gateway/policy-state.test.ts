import { describe, expect, it } from 'vitest';
import { applyStatus, parseStatusFile, stateFiles } from '../../../core/gateway/policy-state.ts';
import { policyLine } from '../../../core/gateway/policy-ops.ts';
import { toTrafficEvent } from '../../../core/gateway/traffic.ts';
import { parseRecord } from '../../../core/gateway/supervisor-log.ts';
import { PolicyStore } from '../../../core/policy/index.ts';

const meta = { author: 't', source: 'test' };
const policy = { version: 1 as const, network_policies: {} };

describe('the files on the state volume', () => {
  it('delivers {version, hash, policy} in policy.json and the whole store in revisions.json', () => {
    const store = new PolicyStore();
    const { revision } = store.set(policy, meta);
    const files = stateFiles(store, revision);
    expect(files.map((f) => f.name)).toEqual(['revisions.json', 'policy.json']);
    expect(JSON.parse(files[1]!.text)).toEqual({ version: 1, hash: revision.hash, policy });
    expect(PolicyStore.fromJSON(JSON.parse(files[0]!.text)).latest()?.hash).toBe(revision.hash);
    expect(stateFiles(store).map((f) => f.name)).toEqual(['revisions.json']);
  });

  it('reads the supervisor status file tolerantly and marks only pending revisions', () => {
    expect(parseStatusFile('{"version":1,"status":"loaded"')).toBeNull();
    expect(parseStatusFile('{"version":"1","status":"loaded"}')).toBeNull();
    const s = parseStatusFile('{"version":1,"status":"failed","error":"boom","time":"x"}')!;
    const store = new PolicyStore();
    store.set(policy, meta);
    expect(applyStatus(store, s)).toBe(true);
    expect(store.get(1)).toMatchObject({ status: 'failed', error: 'boom' });
    expect(applyStatus(store, { version: 1, status: 'loaded' })).toBe(false);
  });
});

describe('supervisor lines', () => {
  it('reads policy verdicts and ignores other lines', () => {
    expect(policyLine({ type: 'policy', version: 2, status: 'loaded', time: 't' }, 'sb')).toEqual({ sandbox: 'sb', time: 't', version: 2, status: 'loaded' });
    expect(policyLine({ type: 'policy', version: 2, status: 'pending' }, 'sb')).toBeNull();
    expect(parseRecord('plain text')).toBeNull();
    expect(parseRecord('[1,2]')).toBeNull();
  });

  it('turns decision lines into TrafficEvents for the watched sandbox and rejects malformed ones', () => {
    const line = parseRecord('{"type":"decision","seq":5,"time":"t","action":"deny","host":"a.com","port":443,"binary":"/usr/bin/curl","rule":null,"reason":"no"}')!;
    expect(toTrafficEvent(line, 'sb')).toEqual({ seq: 5, time: 't', action: 'deny', host: 'a.com', port: 443, binary: '/usr/bin/curl', rule: null, reason: 'no', sandbox: 'sb', layer: 'l4' });
    expect(toTrafficEvent({ type: 'decision', seq: 'x', action: 'deny', host: 'a', port: 1 }, 'sb')).toBeNull();
    expect(toTrafficEvent({ type: 'flow-end', seq: 5 }, 'sb')).toBeNull();
  });
});
