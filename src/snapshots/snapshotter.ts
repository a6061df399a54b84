import type { Readable } from 'node:stream';

/**
 * A Snapshotter turns image layers into container root filesystems (containerd's `core/snapshots`).
 *
 * Glossary
 * - layer: the unpacked content of one uncompressed layer tar, identified by its diffID (the sha256 of
 *   that tar). Unpacked once by `applyLayer`, read-only afterwards, shared by every image and container
 *   that lists it. OCI whiteouts are stored in the snapshotter's native form.
 * - active snapshot: the writable root filesystem of one container, identified by a caller-chosen key
 *   (the container id). It has a private upper (writable) layer over an ordered list of layers.
 *
 * Lifecycle
 * 1. `applyLayer(diffID, tar)` for every layer of an image not yet `hasLayer`. It is all-or-nothing: a
 *    layer is visible only once completely unpacked and verified against its diffID.
 * 2. `create(key, diffIDs)` when the container is created (records the layers it stands on, so they cannot
 *    be removed under it), then `prepare(key)` on each start: mounts and returns the rootfs path.
 *    Both are idempotent; prepare of a mounted snapshot just returns it.
 * 3. `unmount(key)` on stop: the upper layer survives, so the next `prepare` sees the container's changes.
 * 4. `remove(key)` when the container is removed: unmounts and deletes the upper layer.
 * 5. `removeLayer(diffID)` when no image lists the layer any more; refused while an active snapshot
 *   stands on it (see `usedLayers`).
 * After a daemon restart, `listMounted()` tells which snapshots are still mounted so that strays can be
 * unmounted.
 */
export interface Snapshotter {
  hasLayer(diffID: string): Promise<boolean>;
  /**
   * Unpacks an uncompressed layer tar; InvalidArgument if its digest is not `diffID` or it is unsafe.
   * `sync: false` leaves flushing the files to the disk to the caller (a build syncs once at its end).
   * An undefined `diffID`: the layer is named by the digest of what arrived (returned as `diffID`).
   * `digest`: that digest as the caller computes it from the same bytes anyway (the content store
   * writing the tar beside), so the tar is not hashed twice; a rejection fails the apply.
   */
  applyLayer(diffID: string | undefined, tar: Readable | AsyncIterable<Buffer>, opts?: { sync?: boolean; digest?: Promise<string> }): Promise<{ size: number; diffID: string }>;
  /** Bytes of file content in the layer; NotFound if absent. */
  layerSize(diffID: string): Promise<number>;
  /** Directory holding the unpacked layer (for GraphDriver data); a pure path computation. */
  layerPath(diffID: string): string;
  /** Idempotent; Conflict while an active snapshot uses the layer. */
  removeLayer(diffID: string): Promise<void>;
  /** DiffIDs of all unpacked layers. */
  listLayers(): Promise<string[]>;
  /** Layers referenced by active snapshots. */
  usedLayers(): Promise<Set<string>>;

  /** Creates the active snapshot if missing (without mounting). Layers are listed bottom to top. */
  create(key: string, diffIDs: string[]): Promise<void>;
  /** Creates if needed and mounts; returns the merged root filesystem path. */
  prepare(key: string, diffIDs?: string[]): Promise<{ rootfs: string }>;
  /** Idempotent. */
  unmount(key: string): Promise<void>;
  /** Unmounts and deletes the snapshot; idempotent. */
  remove(key: string): Promise<void>;
  /** Keys of existing active snapshots. */
  list(): Promise<string[]>;
  /** Keys of active snapshots currently mounted. */
  listMounted(): Promise<string[]>;
  /** The writable directory of a snapshot (where container changes land). */
  upperDir(key: string): string;
  /** Where `prepare` mounts the snapshot. */
  mergedDir(key: string): string;
  /** Docker's GraphDriver block for a container's inspect (LowerDir top first, MergedDir, UpperDir, WorkDir). */
  graphDriverData(key: string): { Name: string; Data: Record<string, string> | null };
}
