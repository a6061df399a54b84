export type { ContentStore, Ingester, Manager, Provider, WriteResult } from './store.js';
export { LocalContentStore } from './store.js';
export type { Digest } from './digest.js';
export { digestHex, isDigest, parseDigest, sha256Of } from './digest.js';
