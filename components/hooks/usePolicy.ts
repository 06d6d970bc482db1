import { useCallback, useEffect, useState } from 'react';
import type { Gateway } from '../../core/gateway/types.ts';
import type { Revision } from '../../core/policy/index.ts';
import { friendlyMessage } from '../../core/errors.ts';

export interface PolicyView {
  readonly revision: Revision | null;
  readonly error: string | null;
  readonly reload: () => void;
}

/** The newest policy revision of one sandbox, reloaded whenever the gateway reports a new one. */
export function usePolicy(gateway: Gateway, sandbox: string | null): PolicyView {
  const [revision, setRevision] = useState<Revision | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (sandbox === null) {
      setRevision(null);
      setError(null);
      return;
    }
    let alive = true;
    gateway.getPolicy(sandbox).then(
      (rev) => {
        if (!alive) return;
        setRevision(rev);
        setError(null);
      },
      (err: unknown) => {
        if (!alive) return;
        setRevision(null);
        setError(friendlyMessage(err).split('\n')[0]!);
      },
    );
    const off = gateway.events.on('policy.revision', (e) => {
      if (e.sandbox === sandbox) setTick((t) => t + 1);
    });
    return () => {
      alive = false;
      off();
    };
  }, [gateway, sandbox, tick]);

  return { revision, error, reload };
}
