/** Our Docker images: the supervisor and the default sandbox, built without a registry and cached by content. */
export { ensureImages } from './ensure.ts';
export { supervisorBundle, DEFAULT_SUPERVISOR_ENTRY, BUNDLE_TARGET } from './bundle.ts';
export { listImages } from './list.ts';
export type { ListedImage } from './list.ts';
export { ImageBuildError } from './failure.ts';
export { imageHashes, BASE_PACKAGES, IMAGE_PACKAGES, HASH_LABEL, REPOSITORIES, SUPERVISOR_BUNDLE_PATH } from './inputs.ts';
export type {
  BuildStep,
  EnsureImagesOptions,
  EnsuredImages,
  ImageKind,
  ImageProgress,
  ImageRef,
  ProgressListener,
} from './types.ts';
