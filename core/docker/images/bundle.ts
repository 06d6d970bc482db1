import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ImageError } from '../../errors.ts';

/** Debian bookworm ships Node 18; the bundle must not use syntax it lacks. */
export const BUNDLE_TARGET = 'node18';

// Paths in the bundle's comments are relative to this; fixing it keeps the bytes (and hash) cwd-independent.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const DEFAULT_SUPERVISOR_ENTRY = fileURLToPath(new URL('../../supervisor/main.ts', import.meta.url));

// Bundled CommonJS dependencies may call require(); an ESM bundle has none unless we make one.
const REQUIRE_SHIM =
  "import { createRequire as __openshellCreateRequire } from 'node:module';\n" +
  'const require = __openshellCreateRequire(import.meta.url);';

const bundles = new Map<string, Promise<Uint8Array>>();

/** The supervisor as one ESM file for the image's Node; built once per process and entry. */
export function supervisorBundle(entry: string = DEFAULT_SUPERVISOR_ENTRY): Promise<Uint8Array> {
  let pending = bundles.get(entry);
  if (!pending) {
    pending = bundleOnce(entry);
    // A failed bundle is not cached: the next call (after a fix) tries again.
    pending.catch(() => bundles.delete(entry));
    bundles.set(entry, pending);
  }
  return pending;
}

async function bundleOnce(entry: string): Promise<Uint8Array> {
  if (!existsSync(entry)) {
    throw new ImageError(`supervisor source not found at ${entry}`, {
      hint: 'the supervisor image bundles core/supervisor/main.ts; restore it or run from a full checkout',
    });
  }
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: BUNDLE_TARGET,
      write: false,
      absWorkingDir: REPO_ROOT,
      logLevel: 'silent',
      legalComments: 'none',
      // Smaller source parses faster: the supervisor's start-up is on every sandbox's create path.
      minify: true,
      banner: { js: REQUIRE_SHIM },
    });
    const file = result.outputFiles[0];
    if (!file) throw new Error('esbuild produced no output');
    return file.contents;
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n').slice(0, 12).join('\n') : String(err);
    throw new ImageError(`bundle: cannot bundle the supervisor (${entry})\n${detail}`, { cause: err });
  }
}
