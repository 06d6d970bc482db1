/** Colour tokens: components name a role, never a colour, so a theme change is one file. */
export const theme = {
  accent: 'greenBright',
  title: 'green',
  border: 'gray',
  borderFocused: 'greenBright',
  text: 'white',
  muted: 'gray',
  selected: 'cyan',
  allow: 'green',
  deny: 'red',
  warning: 'yellow',
  error: 'red',
  diffAdd: 'green',
  diffRemove: 'red',
  diffChange: 'yellow',
} as const;

export type ThemeToken = keyof typeof theme;

/** Verdict symbols, so allow and deny read without colour. */
export const symbols = { allow: '✓', deny: '✗', healthy: '●', unhealthy: '○', cursor: '›' } as const;
