import { useState } from 'react';
import { Box, Text } from 'ink';
import { useKeys } from '../hooks/useKeys.ts';
import { theme } from '../theme.ts';
import { editField, TextField } from './TextField.tsx';

export interface CreateValues {
  readonly name: string;
  readonly image: string;
  /** A preset name (`npm`) or a policy file path; empty for the default. */
  readonly policy: string;
  /** Provider names, separated by commas or spaces (`openshell provider list`). */
  readonly providers: string;
  readonly command: string;
}

const FIELDS = [
  { key: 'name', label: 'Name', placeholder: 'two random words' },
  { key: 'image', label: 'Image', placeholder: 'the openshell sandbox image' },
  { key: 'policy', label: 'Policy', placeholder: 'preset (default, npm, pypi, …) or file path' },
  { key: 'providers', label: 'Providers', placeholder: 'none (names from `openshell provider list`, comma-separated)' },
  { key: 'command', label: 'Command', placeholder: 'a login shell' },
] as const;

interface Props {
  readonly height: number;
  readonly onSubmit: (values: CreateValues) => void;
  readonly onCancel: () => void;
}

/** The create-sandbox form: Tab/↓ next field, ↑ previous, Enter on the last field creates, Esc cancels. */
export function CreateForm({ height, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState<CreateValues>({ name: '', image: '', policy: '', providers: '', command: '' });
  const [at, setAt] = useState(0);
  useKeys('dialog', (_action, input, key) => {
    if (key.escape) return onCancel();
    if (key.return && at === FIELDS.length - 1) return onSubmit(values);
    if (key.return || key.tab || key.downArrow) return setAt((i) => (key.shift ? i - 1 + FIELDS.length : i + 1) % FIELDS.length);
    if (key.upArrow) return setAt((i) => (i - 1 + FIELDS.length) % FIELDS.length);
    const field = FIELDS[at]!.key;
    setValues((v) => ({ ...v, [field]: editField(v[field], input, key) }));
  });
  return (
    <Box flexDirection="column" height={height} borderStyle="double" borderColor={theme.borderFocused} paddingX={1}>
      <Text bold color={theme.accent}>
        Create a sandbox
      </Text>
      {FIELDS.map((f, i) => (
        <TextField key={f.key} label={f.label} value={values[f.key]} focused={i === at} placeholder={f.placeholder} />
      ))}
      <Text color={theme.muted}>Tab/↓ next field · Enter on Command creates · Esc cancels</Text>
    </Box>
  );
}
