import { describe, expect, it } from 'vitest';
import { CHROME_ROWS, innerRows, layout } from '../../../components/layout.ts';

describe('pane layout', () => {
  it('fills an 80×24 terminal with four panes that each still show rows of content', () => {
    const { rects } = layout(80, 24, null);
    expect(rects.sandboxes.width + rects.policy.width).toBe(80);
    expect(rects.traffic.width + rects.inference.width).toBe(80);
    expect(rects.sandboxes.height + rects.traffic.height).toBe(24 - CHROME_ROWS);
    for (const r of Object.values(rects)) expect(innerRows(r)).toBeGreaterThanOrEqual(5);
  });

  it('gives a zoomed pane the whole area', () => {
    const { rects } = layout(120, 40, 'traffic');
    expect(rects.traffic).toEqual({ width: 120, height: 40 - CHROME_ROWS });
    expect(rects.sandboxes).toEqual({ width: 0, height: 0 });
  });
});
