/**
 * Subordinate id ranges (/etc/subuid, /etc/subgid, subuid(5)) and the id mappings built from them, as
 * moby's idtools does: every range of the owner, lowest start first, laid end to end from container id 0.
 * Pure: callers read the files.
 */
import { invalidArgument } from './errors.js';

/** One line of a user namespace's uid_map/gid_map, in the OCI spec's field names. */
export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

/** The uid and gid maps of the daemon's remapped root (empty maps: no remapping). */
export interface IdentityMapping {
  uids: IdMap[];
  gids: IdMap[];
}

export interface SubIdRange {
  owner: string;
  start: number;
  length: number;
}

/**
 * Parses /etc/subuid or /etc/subgid text: `owner:start:count` lines, blank lines and `#` comments skipped.
 * A line without three fields or with a non-numeric id is an error naming the file, as Docker reports it.
 */
export function parseSubIds(text: string, file: string): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    if (parts.length !== 3) throw invalidArgument(`Cannot parse subuid/gid information: Format not correct for ${file} file`);
    const [owner, start, length] = parts as [string, string, string];
    for (const n of [start, length]) {
      if (!/^\d+$/.test(n) || Number(n) > 0xffffffff) {
        throw invalidArgument(`String to int conversion failed during subuid/gid parsing of ${file}: strconv.Atoi: parsing ${JSON.stringify(n)}: invalid syntax`);
      }
    }
    out.push({ owner, start: Number(start), length: Number(length) });
  }
  return out;
}

/** The ranges of the first owner key that has any (Docker tries the numeric id, then the name). */
export function rangesOf(ranges: readonly SubIdRange[], keys: readonly string[]): SubIdRange[] {
  for (const k of keys) {
    const found = ranges.filter((r) => r.owner === k);
    if (found.length > 0) return found;
  }
  return [];
}

/** moby createIDMap: ranges sorted by start, container ids allotted contiguously from 0. */
export function createIdMap(ranges: readonly SubIdRange[]): IdMap[] {
  let next = 0;
  return [...ranges].sort((a, b) => a.start - b.start).map((r) => {
    const m = { containerID: next, hostID: r.start, size: r.length };
    next += r.length;
    return m;
  });
}

/** The host id of a container id; Docker's error when the maps do not cover it. Empty maps: identity. */
export function toHost(id: number, maps: readonly IdMap[]): number {
  if (maps.length === 0) return id;
  for (const m of maps) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  throw invalidArgument(`Container ID ${id} cannot be mapped to a host ID`);
}

/** The container id of a host id; Docker's error when the maps do not cover it. Empty maps: identity. */
export function toContainer(id: number, maps: readonly IdMap[]): number {
  if (maps.length === 0) return id;
  for (const m of maps) if (id >= m.hostID && id < m.hostID + m.size) return m.containerID + (id - m.hostID);
  throw invalidArgument(`Host ID ${id} cannot be mapped to a container ID`);
}

/** The host uid and gid of the container's root. */
export function rootPair(m: IdentityMapping): { uid: number; gid: number } {
  return { uid: toHost(0, m.uids), gid: toHost(0, m.gids) };
}
