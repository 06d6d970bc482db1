/** What the TUI asks of the process around it: the terminal itself. Implemented in src/tui/host.ts. */
export interface TuiHost {
  /** Runs `openshell ARGS` on the real terminal (the TUI is suspended meanwhile); resolves with its exit code. */
  openshell(args: readonly string[]): Promise<number>;
  /** Opens `text` in the user's $EDITOR as `fileName`; resolves with the saved text. */
  editText(text: string, fileName: string): Promise<string>;
}
