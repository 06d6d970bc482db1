import { useCallback, useEffect, useRef, useState } from 'react';
import type { Gateway, Sandbox } from '../../core/gateway/types.ts';
import { friendlyMessage } from '../../core/errors.ts';

export interface SandboxesView {
  readonly sandboxes: readonly Sandbox[];
  /** Set while the gateway cannot be reached; cleared by the next successful poll. */
  readonly error: string | null;
  readonly loaded: boolean;
  readonly refresh: () => void;
}

/** Sandboxes of the gateway: polled every `intervalMs` and again on every phase change. */
export function useSandboxes(gateway: Gateway, intervalMs = 2000): SandboxesView {
  const [sandboxes, setSandboxes] = useState<readonly Sandbox[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const alive = useRef(true);
  const inFlight = useRef(false);
  const again = useRef(false);

  const refresh = useCallback(() => {
    // A change seen during a poll is polled again right after it, never dropped.
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    gateway.listSandboxes().then(
      (list) => {
        if (!alive.current) return;
        const sorted = [...list].sort((a, b) => a.name.localeCompare(b.name));
        // An unchanged list keeps its identity, so a poll that finds nothing new renders nothing.
        setSandboxes((old) => (JSON.stringify(old) === JSON.stringify(sorted) ? old : sorted));
        setError(null);
        setLoaded(true);
      },
      (err: unknown) => {
        if (alive.current) setError(friendlyMessage(err).split('\n')[0]!);
      },
    ).finally(() => {
      inFlight.current = false;
      if (again.current && alive.current) {
        again.current = false;
        refresh();
      }
    });
  }, [gateway]);

  useEffect(() => {
    alive.current = true;
    refresh();
    const timer = setInterval(refresh, intervalMs);
    const offPhase = gateway.events.on('sandbox.phase', refresh);
    const offDeleted = gateway.events.on('sandbox.deleted', refresh);
    return () => {
      alive.current = false;
      clearInterval(timer);
      offPhase();
      offDeleted();
    };
  }, [gateway, intervalMs, refresh]);

  return { sandboxes, error, loaded, refresh };
}
