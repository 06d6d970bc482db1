/** Allowed connections still open, so a new policy revision can close the ones it would deny. */

export interface Flow {
  readonly host: string;
  readonly port: number;
  /** The address dialed. */
  readonly ip: string;
  readonly binary: string;
  readonly ancestors: readonly string[];
  /** Closes the flow; `reason` goes into its flow-end event. */
  close(reason: string): void;
}

export class FlowRegistry {
  private readonly open = new Set<Flow>();

  /** Registers a flow; the returned function unregisters it. */
  add(flow: Flow): () => void {
    this.open.add(flow);
    return () => this.open.delete(flow);
  }

  get size(): number {
    return this.open.size;
  }

  /** `judge` returns why a flow must close, or null to keep it. */
  revoke(judge: (flow: Flow) => string | null): number {
    let closed = 0;
    for (const flow of [...this.open]) {
      const why = judge(flow);
      if (why === null) continue;
      this.open.delete(flow);
      flow.close(why);
      closed++;
    }
    return closed;
  }
}

/** An admitted connection registered for revocation: `revoked` says why a new revision closed it. */
export interface TrackedFlow {
  readonly unregister: () => void;
  readonly revoked: () => string | undefined;
}

/** Registers an allowed flow whose revocation destroys both of its sockets. */
export function trackFlow(
  flows: FlowRegistry,
  target: Omit<Flow, 'close'>,
  sockets: readonly { destroy(): void }[],
): TrackedFlow {
  let why: string | undefined;
  const unregister = flows.add({
    ...target,
    close: (reason) => {
      why = reason;
      for (const s of sockets) s.destroy();
    },
  });
  return { unregister, revoked: () => why };
}
