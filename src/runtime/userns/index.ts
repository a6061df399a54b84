/**
 * User namespace remapping (dockerd's `userns-remap`): containers' root is mapped onto a subordinate id
 * range of one host user; layers are unpacked with their owners shifted into that range.
 */
export type { IdMap, IdentityMapping, SubIdRange } from '../../core/idmap.js';
export { parseSubIds, rangesOf, createIdMap, toHost, toContainer, rootPair } from '../../core/idmap.js';
export type { RemapSources, RemappedRoot } from './remap.js';
export { resolveRemap, DEFAULT_REMAP_USER, SUBUID_FILE, SUBGID_FILE } from './remap.js';
export type { UsernsHostConfig, UsernsSpec } from './rules.js';
export { inRemappedUserns, checkUsernsConflicts, usernsSpec, lockedFlags, addLockedFlags } from './rules.js';
export { loadRemappedRoot, setupRemappedRoot, shareContainerFiles, keepLockedFlags, canAccess } from './setup.js';
