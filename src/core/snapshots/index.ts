export type { Snapshotter } from './snapshotter.js';
export { OverlaySnapshotter } from './overlay.js';
export { parseMountInfo, type MountInfo } from './mountinfo.js';
export { entryComponents, unpackLayer, type UnpackResult } from './unpack.js';
