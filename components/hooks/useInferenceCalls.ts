import { useEffect, useRef, useState } from 'react';
import type { Gateway } from '../../core/gateway/types.ts';
import { InferenceLog } from '../inference-log.ts';
import type { TrafficBuffer } from '../traffic-buffer.ts';

export interface InferenceCallsView {
  readonly log: InferenceLog;
  /** Changes at most once per `flushMs`, however fast calls arrive. */
  readonly version: number;
}

/**
 * Router calls: `traffic` events with `layer: "inference"`. The watch that makes the gateway emit them
 * is `useTraffic`'s (one per workbench); this hook only listens, into a bounded log, batching renders.
 * Call it after `useTraffic`: the bus hands its backlog to the first listener, so calls that waited
 * there are taken from `seen` (the traffic buffer) instead.
 */
export function useInferenceCalls(gateway: Gateway, seen?: TrafficBuffer, capacity = 200, flushMs = 100): InferenceCallsView {
  const log = useRef<InferenceLog>(null);
  log.current ??= new InferenceLog(capacity);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const l = log.current!;
    let timer: NodeJS.Timeout | undefined;
    if (l.length === 0 && seen) {
      for (const e of seen.events((e) => e.layer === 'inference')) l.push(e);
      setVersion(l.version);
    }
    const off = gateway.events.on('traffic', (event) => {
      if (event.layer !== 'inference') return;
      l.push(event);
      timer ??= setTimeout(() => {
        timer = undefined;
        setVersion(l.version);
      }, flushMs);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [gateway, seen, flushMs]);

  return { log: log.current, version };
}
