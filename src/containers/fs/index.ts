/** A container's file system over the API: docker cp (archive), export, diff (changes) and commit. */
export { ContainerFs, type CommitOptions, type CommitTarget, type ContainerFsDeps, type FsContainers } from './service.js';
export { commitTarget } from './images.js';
export type { FilesystemChange } from './changes.js';
