import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_MS, EventSink } from '../../../core/supervisor/events.ts';

const decision = { layer: 'l4', action: 'deny', binary: '/usr/bin/curl', host: 'x.example.com', port: 443, rule: null, reason: 'no' } as const;

describe('the event sink', () => {
  it('keeps seq increasing across restarts, even after a crash that lost the last save', () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    const out: string[] = [];
    const a = new EventSink({ dir, sandbox: 's', write: (l) => out.push(l) });
    const seqs = Array.from({ length: 150 }, () => a.decision(decision));
    // No close(): as if the supervisor was killed.
    const b = new EventSink({ dir, sandbox: 's', write: (l) => out.push(l) });
    expect(b.decision(decision)).toBeGreaterThan(seqs.at(-1)!);
    b.close();
    const c = new EventSink({ dir, sandbox: 's', write: () => undefined });
    expect(c.decision(decision)).toBeGreaterThan(seqs.at(-1)! + 1);
    const line = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ type: 'decision', seq: seqs[0], sandbox: 's', action: 'deny' });
    expect(Date.parse(String(line.time))).toBeGreaterThan(0);
  });

  it('appends the same lines to events.jsonl and rotates it at the size bound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    const out: string[] = [];
    const sink = new EventSink({ dir, sandbox: 's', write: (l) => out.push(l), rotateBytes: 4096 });
    const seq = sink.decision(decision);
    sink.flowEnd(seq, { bytesIn: 1, bytesOut: 2, durationMs: 3 });
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8')).toBe(out.join(''));
    for (let i = 0; i < 40; i++) sink.decision(decision);
    sink.close();
    expect(existsSync(join(dir, 'events.1.jsonl'))).toBe(true);
    expect(statSync(join(dir, 'events.jsonl')).size).toBeLessThanOrEqual(4096);
  });

  it('in batch mode writes allows and flow-ends together within the window, denies and status lines at once, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    const out: string[] = [];
    // Each write as the kinds of its lines: a decision's action, else the line's type.
    const types = (text: string): string[] =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const o = JSON.parse(l) as { type: string; action?: string };
          return o.action ?? o.type;
        });
    const sink = new EventSink({ dir, sandbox: 's', write: (l) => out.push(l), batch: true, rotateBytes: 2048 });
    const seq = sink.decision({ ...decision, action: 'allow' });
    sink.flowEnd(seq, { bytesIn: 1, bytesOut: 2, durationMs: 3 });
    // Nothing written yet: the caller's work (answering the client) goes first, and later connections share the write.
    await new Promise((r) => setImmediate(r));
    expect(out).toEqual([]);
    await new Promise((r) => setTimeout(r, BATCH_MS + 30));
    expect(out.map(types)).toEqual([['allow', 'flow-end']]);
    // A deny is written at once, after what was queued before it; so is a status line.
    sink.decision({ ...decision, action: 'allow' });
    sink.decision(decision);
    expect(out.map(types)).toEqual([['allow', 'flow-end'], ['allow', 'deny']]);
    sink.line({ type: 'ready' });
    expect(out.map(types).at(-1)).toEqual(['ready']);
    // Only decisions and flow-ends go to the file.
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
    // Rotation stays within its bound when many lines are written at once.
    for (let i = 0; i < 40; i++) sink.decision({ ...decision, action: 'allow' });
    sink.close();
    expect(out.join('').split('\n').filter(Boolean)).toHaveLength(45);
    expect(existsSync(join(dir, 'events.1.jsonl'))).toBe(true);
    expect(statSync(join(dir, 'events.jsonl')).size).toBeLessThanOrEqual(2048);
    expect(statSync(join(dir, 'events.1.jsonl')).size).toBeLessThanOrEqual(2048);
  });
  it('in batch mode stamps an event when it happens, not when it is written, and never reuses a seq after a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    const out: string[] = [];
    const a = new EventSink({ dir, sandbox: 's', write: (l) => out.push(l), batch: true });
    const first = a.decision({ ...decision, action: 'allow' });
    const decidedBy = Date.now();
    for (let i = 0; i < 59; i++) a.decision({ ...decision, action: 'allow' });
    await new Promise((r) => setTimeout(r, BATCH_MS + 30));
    const line = JSON.parse(out.join('').split('\n')[0]!) as { seq: number; time: string };
    expect(line.seq).toBe(first);
    expect(Date.parse(line.time)).toBeLessThanOrEqual(decidedBy);
    // A burst larger than the save interval, then a crash before its flush.
    let last = 0;
    for (let i = 0; i < 250; i++) last = a.decision({ ...decision, action: 'allow' });
    const b = new EventSink({ dir, sandbox: 's', write: () => undefined, batch: true });
    expect(b.decision(decision)).toBeGreaterThan(last);
    // A flushed window, then a crash.
    for (let i = 0; i < 60; i++) last = b.decision({ ...decision, action: 'allow' });
    await new Promise((r) => setTimeout(r, BATCH_MS + 30));
    const c = new EventSink({ dir, sandbox: 's', write: () => undefined, batch: true });
    expect(c.decision(decision)).toBeGreaterThan(last);
  });
});
