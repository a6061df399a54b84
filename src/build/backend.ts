/**
 * BuildBackend: everything the builder needs from the rest of the daemon, in one narrow interface
 * (implemented by the daemon's wiring, src/daemon/build.ts). The builder never touches the container or
 * image stores directly.
 *
 * Lifecycle of a step that changes the file system:
 *
 *   createContainer(from image, with the stage's config)   a container in state `created`
 *     -> runContainer (RUN: start, stream output, wait)      or copyInto (COPY/ADD: a tar into its rootfs)
 *     -> diffLayer (its changes, packed straight into the image store as a layer, held)
 *     -> createImage(child config, layer)                    an untagged image: the step's result (and the
 *                                                            layer's hold released)
 *     -> removeContainer                                     always, success or not
 *
 * Steps that only change the config go straight to createImage with no layer.
 */
import type { Readable } from 'node:stream';
import type { ContainerCreateBody, ImageConfigBlob } from '../api/types.js';

export interface BuildImage {
  id: string;
  config: ImageConfigBlob;
}

export interface LayerFile {
  diffID: string;
  /** a tar file, removed by the caller after createImage; '' when the layer is in the image store already */
  file: string;
  /** a layer already in the store is held from garbage collection until this is called */
  release?: () => void;
  /** false when the diff is empty (no layer: `empty_layer` in history) */
  nonEmpty: boolean;
}

export interface PullOptions {
  platform?: string;
  /** X-Registry-Auth-like header value for the registry of `ref` */
  auth?: string;
  signal?: AbortSignal;
}

export interface BuildBackend {
  // ---- images ----
  /** NotFound when there is no such image */
  image(ref: string): BuildImage;
  hasImage(id: string): boolean;
  /** pulls `ref`; progress messages as the pull's JSON objects */
  pull(ref: string, opts: PullOptions, progress: (msg: Record<string, unknown>) => void): Promise<void>;
  /** stores an image config (and its new layer, if any), made from `parent` (an image id); returns its id */
  createImage(config: ImageConfigBlob, layer?: LayerFile, parent?: string): Promise<string>;
  /**
   * Flushes what createImage wrote to the disk: createImage does not (a build calls this once, before
   * its cache entries are written and its image is tagged).
   */
  syncImages(): Promise<void>;
  /** stores a layer tar made by the builder (packed as it streams in); held until `release` */
  ingestLayer(tar: Readable): Promise<LayerFile>;
  /** tags an image `name[:tag]` (docker build -t) */
  tag(id: string, ref: string): Promise<void>;
  /** removes an untagged image nothing uses (cache pruning); false when it is still in use */
  removeImage(id: string): Promise<boolean>;
  /** on-disk size of a layer */
  layerSize(diffID: string): Promise<number>;

  // ---- containers ----
  createContainer(body: ContainerCreateBody): Promise<string>;
  /** starts the container, streams its output, resolves with its exit code; `signal` stops it */
  runContainer(id: string, output: (data: Buffer, stream: 'stdout' | 'stderr') => void, signal: AbortSignal): Promise<number>;
  /** unpacks a tar (names relative to `/`; missing parents are made) into the container's rootfs */
  copyInto(id: string, tar: Readable): Promise<void>;
  /** runs `fn` with the container's root file system mounted at a host path */
  withRootfs<T>(id: string, fn: (root: string) => Promise<T>): Promise<T>;
  /** what is at `p` inside the container: resolved through its symlinks; undefined when missing */
  statPath(id: string, p: string): Promise<{ isDir: boolean } | undefined>;
  /** the container's changes as a layer, in the image store already (file ''; call `release` when done) */
  diffLayer(id: string): Promise<LayerFile>;
  removeContainer(id: string): Promise<void>;
  /** a directory the builder may use for its own files (context, cache, scratch) */
  stateDir: string;
  /** files may be written straight into a mounted rootfs (false under userns-remap: copyInto shifts owners) */
  directWrites: boolean;
}
