import { useCallback, useMemo, useState } from 'react';
import type { Line } from '../ui-context.ts';

export type Modal =
  | { readonly kind: 'confirm'; readonly title: string; readonly lines: readonly Line[]; readonly answer: (yes: boolean) => void }
  | { readonly kind: 'view'; readonly title: string; readonly lines: readonly Line[] }
  | { readonly kind: 'prompt'; readonly label: string; readonly initial: string; readonly done: (value: string | null) => void }
  | { readonly kind: 'create' }
  | { readonly kind: 'gateways' };

export interface Dialogs {
  readonly modal: Modal | null;
  readonly open: (modal: Modal) => void;
  readonly close: () => void;
  readonly confirm: (title: string, lines: readonly Line[]) => Promise<boolean>;
  readonly prompt: (label: string, initial?: string) => Promise<string | null>;
}

/** One dialog at a time; the promise-returning ones resolve when it closes. */
export function useDialogs(): Dialogs {
  const [modal, setModal] = useState<Modal | null>(null);
  const close = useCallback(() => setModal(null), []);
  const confirm = useCallback(
    (title: string, lines: readonly Line[]) =>
      new Promise<boolean>((resolve) => {
        setModal({ kind: 'confirm', title, lines, answer: (yes) => (setModal(null), resolve(yes)) });
      }),
    [],
  );
  const prompt = useCallback(
    (label: string, initial = '') =>
      new Promise<string | null>((resolve) => {
        setModal({ kind: 'prompt', label, initial, done: (value) => (setModal(null), resolve(value)) });
      }),
    [],
  );
  return useMemo(() => ({ modal, open: setModal, close, confirm, prompt }), [modal, close, confirm, prompt]);
}
