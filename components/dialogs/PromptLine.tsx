import { useKeys } from '../hooks/useKeys.ts';
import { useState } from 'react';
import { editField, TextField } from './TextField.tsx';

interface Props {
  readonly label: string;
  readonly initial: string;
  readonly onDone: (value: string | null) => void;
}

/** One line of input in place of the message line: Enter accepts, Esc cancels. */
export function PromptLine({ label, initial, onDone }: Props) {
  const [value, setValue] = useState(initial);
  useKeys('dialog', (_action, input, key) => {
    // A pasted line arrives as one chunk, its newline included: that newline is an Enter.
    const pastedEnd = input.length > 1 ? input.search(/[\r\n]/) : -1;
    if (pastedEnd >= 0) onDone(value + input.slice(0, pastedEnd));
    else if (key.return) onDone(value);
    else if (key.escape) onDone(null);
    else setValue((v) => editField(v, input, key));
  });
  return <TextField label={`${label} (Enter apply, Esc cancel)`} value={value} focused />;
}
