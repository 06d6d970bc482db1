import { useEffect, useRef, useState } from 'react';
import type { Gateway } from '../../core/gateway/types.ts';
import { friendlyMessage } from '../../core/errors.ts';
import { TrafficBuffer } from '../traffic-buffer.ts';

export interface TrafficView {
  readonly buffer: TrafficBuffer;
  /** Changes at most once per `flushMs`, however fast events arrive. */
  readonly version: number;
  /** Why no live traffic is shown (the gateway cannot stream it yet), or null. */
  readonly notice: string | null;
}

/** Every sandbox's decisions, from `watchTraffic` and the `traffic` event; rendering is batched. */
export function useTraffic(gateway: Gateway, capacity = 5000, flushMs = 100): TrafficView {
  const buffer = useRef<TrafficBuffer>(null);
  buffer.current ??= new TrafficBuffer(capacity);
  const [version, setVersion] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    const buf = buffer.current!;
    let timer: NodeJS.Timeout | undefined;
    const off = gateway.events.on('traffic', (event) => {
      buf.push(event);
      timer ??= setTimeout(() => {
        timer = undefined;
        setVersion(buf.version);
      }, flushMs);
    });
    let stop: (() => void) | undefined;
    try {
      stop = gateway.watchTraffic(undefined);
    } catch (err) {
      setNotice(`live traffic is not available: ${friendlyMessage(err).split('\n')[0]!}`);
    }
    return () => {
      off();
      stop?.();
      if (timer) clearTimeout(timer);
    };
  }, [gateway, flushMs]);

  return { buffer: buffer.current, version, notice };
}
