import { useCallback, useEffect, useRef, useState } from 'react';
import type { Gateway } from '../../core/gateway/types.ts';
import type { InferenceConfig } from '../../core/inference/types.ts';
import { friendlyMessage } from '../../core/errors.ts';

export interface InferenceConfigView {
  /** Null until the first answer. */
  readonly config: InferenceConfig | null;
  readonly error: string | null;
  /** Reads it again; resolves once the gateway answered: true, or false when it failed (see `error`). */
  readonly refresh: () => Promise<boolean>;
}

/** The privacy router's configuration (backends, routes): read now, every `intervalMs`, and on `refresh`. */
export function useInferenceConfig(gateway: Gateway, intervalMs = 5000): InferenceConfigView {
  const [config, setConfig] = useState<InferenceConfig | null>(null);
  const [error, setError] = useState<string | null>(null);
  const alive = useRef(true);
  const inFlight = useRef<Promise<boolean> | null>(null);

  const refresh = useCallback((): Promise<boolean> => {
    // One read at a time: a slow gateway is not asked again before it answers.
    if (inFlight.current) return inFlight.current;
    inFlight.current = gateway
      .getInference()
      .then(
        (view) => {
          if (!alive.current) return true;
          // An unchanged configuration keeps its identity, so a poll that finds nothing new renders nothing.
          setConfig((old) => (JSON.stringify(old) === JSON.stringify(view.config) ? old : view.config));
          setError(null);
          return true;
        },
        (err: unknown) => {
          if (alive.current) setError(friendlyMessage(err).split('\n')[0]!);
          return false;
        },
      )
      .finally(() => {
        inFlight.current = null;
      });
    return inFlight.current;
  }, [gateway]);

  useEffect(() => {
    alive.current = true;
    void refresh();
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => {
      alive.current = false;
      clearInterval(timer);
    };
  }, [refresh, intervalMs]);

  return { config, error, refresh };
}
