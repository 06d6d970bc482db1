export type PaneId = 'sandboxes' | 'policy' | 'traffic' | 'inference';

/** Tab order. */
export const PANES: readonly PaneId[] = ['sandboxes', 'traffic', 'policy', 'inference'];

export interface Rect {
  readonly width: number;
  readonly height: number;
}

/** Header, message line and a two-line footer; one spare row keeps Ink from clearing the screen per frame. */
export const CHROME_ROWS = 5;

/**
 * Pane sizes for a terminal: Sandboxes | Policy over Traffic | Inference, or one pane filling the
 * whole area when zoomed. Pure, so resizing is tested without a terminal.
 */
export function layout(columns: number, rows: number, zoomed: PaneId | null): { rects: Record<PaneId, Rect> } {
  const width = Math.max(columns, 40);
  const height = Math.max(rows - CHROME_ROWS, 8);
  const hidden = { width: 0, height: 0 };
  if (zoomed) {
    const rects = { sandboxes: hidden, policy: hidden, traffic: hidden, inference: hidden, [zoomed]: { width, height } };
    return { rects };
  }
  const top = Math.ceil(height / 2);
  const bottom = height - top;
  const left = Math.round(width * 0.6);
  const trafficWidth = Math.round(width * 0.7);
  return {
    rects: {
      sandboxes: { width: left, height: top },
      policy: { width: width - left, height: top },
      traffic: { width: trafficWidth, height: bottom },
      inference: { width: width - trafficWidth, height: bottom },
    },
  };
}

/** Lines a pane can show inside its border and title. */
export const innerRows = (r: Rect): number => Math.max(r.height - 3, 1);
export const innerColumns = (r: Rect): number => Math.max(r.width - 4, 10);
