/** What the TUI asks of the process around it: the terminal itself. Implemented in src/tui/host.ts. */
export interface TuiHost {
  /** Runs `openshell ARGS` on the real terminal (the TUI is suspended meanwhile); resolves with its exit code. */
  openshell(args: readonly string[]): Promise<number>;
  /** Opens `text` in the user's $EDITOR as `fileName`; resolves with the saved text. */
  editText(text: string, fileName: string): Promise<string>;
  /** Runs `openshell ARGS` against `gateway` in the background (no terminal), collecting its output lines. */
  capture(args: readonly string[], gateway: string): Promise<Captured>;
}

export interface Captured {
  readonly code: number;
  /** Both streams in arrival order; stderr lines are marked so the view can tell them apart. */
  readonly output: readonly { readonly text: string; readonly stderr: boolean }[];
}
