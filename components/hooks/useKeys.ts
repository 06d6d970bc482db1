import { createContext, createElement, useCallback, useContext, useLayoutEffect, useRef, type ReactNode } from 'react';
import { useInput, type Key } from 'ink';
import { actionFor, type Scope } from '../keymap.ts';

export type KeyHandler = (action: string | undefined, input: string, key: Key) => void;

interface Entry {
  handler: KeyHandler;
  readonly scope: Scope;
}

const Registry = createContext<Set<Entry> | null>(null);

/**
 * The one Ink input subscription of the app; it hands every key to each active `useKeys`. Handlers
 * register in layout effects, so a dialog answers the very next key after it is drawn (Ink's own
 * per-component subscriptions arrive in passive effects, a moment later).
 */
export function KeyRouter({ children }: { readonly children: ReactNode }) {
  const entries = useRef(new Set<Entry>()).current;
  const onInput = useCallback(
    (input: string, key: Key) => {
      for (const e of [...entries]) e.handler(actionFor(e.scope, input, key), input, key);
    },
    [entries],
  );
  useInput(onInput);
  return createElement(Registry.Provider, { value: entries }, children);
}

/** A scope's keys, looked up in the keymap; the handler always sees the latest render's state. */
export function useKeys(scope: Scope, handler: KeyHandler, isActive = true): void {
  const entries = useContext(Registry);
  if (!entries) throw new Error('useKeys outside <KeyRouter>');
  const entry = useRef<Entry>({ handler, scope }).current;
  entry.handler = handler;
  useLayoutEffect(() => {
    if (!isActive) return;
    entries.add(entry);
    return () => {
      entries.delete(entry);
    };
  }, [isActive, entries, entry]);
}
