/** Which of our images a reference names. */
export type ImageKind = 'supervisor' | 'sandbox';

/** A built (or found) image: its convenience tag, engine id and whether this call reused it. */
export interface ImageRef {
  readonly tag: string;
  readonly id: string;
  readonly hash: string;
  readonly cached: boolean;
}

export interface EnsuredImages {
  readonly supervisor: ImageRef;
  readonly sandbox: ImageRef;
}

/** Build steps, in order; `base` replaces debootstrap + import when building from a registry. */
export type BuildStep = 'bundle' | 'debootstrap' | 'import' | 'base' | 'supervisor' | 'sandbox';

export interface ImageProgress {
  readonly step: BuildStep;
  /** 1-based position of the step in this build, and how many steps it has. */
  readonly index: number;
  readonly total: number;
  readonly message: string;
  readonly percent?: number;
  readonly bytes?: number;
}

export type ProgressListener = (event: ImageProgress) => void;

export interface EnsureImagesOptions {
  /** Build from `debian:<suite>-slim` with apt-get instead of debootstrap + import. */
  readonly fromRegistry?: boolean;
  /** Rebuild even when images with the content-hash tags exist. */
  readonly force?: boolean;
  readonly onProgress?: ProgressListener;
  /** Where the rootfs tarball and lock live; defaults to `~/.cache/openshell`. */
  readonly cacheDir?: string;
  /** Test-only: bundle this file instead of `core/supervisor/main.ts`. */
  readonly supervisorEntry?: string;
}
