/**
 * One typed event bus out of the core: an event name maps to one payload type.
 * Events emitted before anyone subscribes wait in a bounded backlog.
 */
export type Listener<T> = (payload: T) => void;

export class EventBus<M extends { [K in keyof M]: unknown }> {
  private readonly listeners = new Map<keyof M, Set<Listener<never>>>();
  private readonly backlog: { name: keyof M; payload: unknown }[] = [];

  constructor(private readonly backlogLimit = 1000) {}

  emit<K extends keyof M>(name: K, payload: M[K]): void {
    const set = this.listeners.get(name);
    if (!set || set.size === 0) {
      this.backlog.push({ name, payload });
      if (this.backlog.length > this.backlogLimit) this.backlog.shift();
      return;
    }
    for (const l of set) (l as Listener<M[K]>)(payload);
  }

  on<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    // Deliver what waited for a first subscriber, in order.
    for (let i = 0; i < this.backlog.length; ) {
      const item = this.backlog[i]!;
      if (item.name === name) {
        this.backlog.splice(i, 1);
        listener(item.payload as M[K]);
      } else i++;
    }
    return () => set.delete(listener);
  }
}
