import { describe, expect, it } from 'vitest';
import { TrafficBuffer } from '../../../components/traffic-buffer.ts';
import { decision, deny } from './fixtures.ts';

describe('the traffic buffer', () => {
  it('keeps the newest N decisions in order, while per-sandbox totals count every one', () => {
    const buf = new TrafficBuffer(5000);
    for (let i = 0; i < 12_000; i++) buf.push(i % 3 === 0 ? deny({ seq: i }) : decision({ seq: i }));
    const kept = buf.events();
    expect(kept).toHaveLength(5000);
    expect(kept[0]!.seq).toBe(7000);
    expect(kept.at(-1)!.seq).toBe(11_999);
    expect(buf.totals.get('alpha')).toEqual({ allow: 8000, deny: 4000 });
  });

  it('reports decisions per second over the last ten seconds', () => {
    const buf = new TrafficBuffer(100);
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) buf.push(decision(), t0 + i * 100);
    for (let i = 0; i < 5; i++) buf.push(deny(), t0 + 1500);
    expect(buf.rates(t0 + 2000)).toEqual({ allow: 2, deny: 0.5 });
    expect(buf.rates(t0 + 60_000)).toEqual({ allow: 0, deny: 0 });
  });
});
