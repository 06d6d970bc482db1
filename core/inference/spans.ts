/** Spans already reported: a later, lower-priority detector does not report inside them. */
export class Taken {
  // Sorted by start and never overlapping, so one binary search finds the only neighbours that matter.
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  claim(start: number, end: number): boolean {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && this.ends[lo - 1]! > start) return false;
    if (lo < this.starts.length && this.starts[lo]! < end) return false;
    this.starts.splice(lo, 0, start);
    this.ends.splice(lo, 0, end);
    return true;
  }

  /** The parts of [start, end) no span covers. */
  gaps(start: number, end: number): [number, number][] {
    const out: [number, number][] = [];
    let at = start;
    // Spans do not overlap, so their ends are sorted too: skip to the first one ending after `start`.
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.starts.length && this.starts[k]! < end; k++) {
      if (this.starts[k]! > at) out.push([at, this.starts[k]!]);
      at = Math.max(at, this.ends[k]!);
    }
    if (at < end) out.push([at, end]);
    return out;
  }
}
