import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateFileSignature, watchStateFile } from '../file-watch.ts';
import { compileConfig, type CompiledConfig } from '../../inference/config.ts';
import type { Backend } from '../../inference/types.ts';

/**
 * `inference.json` on the state volume (written by the gateway, see core/gateway/inference-config.ts):
 * the router's configuration and the backends' credentials. Watched like policy.json (fs.watch plus a
 * stat poll); a file that does not load keeps the previous configuration in force.
 */

export const INFERENCE_FILE = 'inference.json';
const POLL_MS = 500;

export type InferenceChangeLine = { readonly status: 'loaded'; readonly backends: number } | { readonly status: 'failed'; readonly error: string };

export class InferenceConfigWatcher {
  private compiled: CompiledConfig | null = null;
  private secrets: Readonly<Record<string, string>> = {};
  private signature = '';
  private unwatch: (() => void) | null = null;
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly onChange: (line: InferenceChangeLine) => void = () => undefined,
  ) {
    this.file = join(dir, INFERENCE_FILE);
  }

  /** The configuration in force; null until a valid file was read (the router answers 503). */
  get config(): CompiledConfig | null {
    return this.compiled;
  }

  credential(backend: Backend): string | undefined {
    return this.secrets[backend.name];
  }

  start(): void {
    this.check();
    this.unwatch = watchStateFile(this.dir, INFERENCE_FILE, POLL_MS, () => this.check());
  }

  stop(): void {
    this.unwatch?.();
  }

  check(): void {
    const sig = stateFileSignature(this.file);
    if (sig === null) return;
    if (sig === this.signature) return;
    let doc: { config?: unknown; credentials?: unknown };
    try {
      doc = JSON.parse(readFileSync(this.file, 'utf8')) as typeof doc;
    } catch {
      // Probably caught mid-write (the archive API has no rename): the next poll reads it again.
      return;
    }
    this.signature = sig;
    const loaded = compileConfig(doc.config);
    if (!loaded.ok) return this.onChange({ status: 'failed', error: loaded.error });
    this.compiled = loaded.compiled;
    const creds = doc.credentials;
    this.secrets = typeof creds === 'object' && creds !== null ? Object.fromEntries(Object.entries(creds).filter(([, v]) => typeof v === 'string')) : {};
    this.onChange({ status: 'loaded', backends: loaded.compiled.config.backends.length });
  }
}
