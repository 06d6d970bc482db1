/**
 * What a sandbox has spent on inference (estimated from reported token counts and backend prices).
 * The router adds to it after each call; `save` lets the supervisor keep it across restarts.
 */
export class SpendMeter {
  private total: number;

  constructor(
    initialUsd = 0,
    private readonly save: (usd: number) => void = () => undefined,
  ) {
    this.total = initialUsd;
  }

  get spentUsd(): number {
    return this.total;
  }

  add(usd: number): void {
    if (!(usd > 0)) return;
    this.total += usd;
    this.save(this.total);
  }
}
