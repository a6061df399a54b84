export type { Snapshotter } from './snapshotter.js';
export { OverlaySnapshotter } from './overlay.js';
export { parseMountInfo, type MountInfo } from '../host/mountinfo.js';
// unpack.ts (the layer tar reader) is loaded by the snapshotter on first use, not from here
export type { UnpackResult } from './unpack.js';
