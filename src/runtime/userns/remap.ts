/**
 * The daemon's `userns-remap` setting (dockerd's parseRemappedRoot and LoadIdentityMapping): "user",
 * "user:group", "uid" or "uid:gid", or "default" for Docker's `dockremap` user. The user's subordinate
 * ranges become the id maps of every container's user namespace. Pure: the caller reads the files.
 *
 * One extension over dockerd: a numeric uid (or gid) without a passwd (group) entry is accepted and its
 * ranges are looked up by number, so a range can be set aside for an id that has no account.
 */
import { invalidArgument } from '../../core/errors.js';
import { parseGroup, parsePasswd } from '../oci/user.js';
import { createIdMap, parseSubIds, rangesOf, rootPair, type IdentityMapping } from '../../core/idmap.js';

export const SUBUID_FILE = '/etc/subuid';
export const SUBGID_FILE = '/etc/subgid';
/** The user "default" stands for. */
export const DEFAULT_REMAP_USER = 'dockremap';

/** The files a remap is resolved against; a subid file that does not exist is `undefined`. */
export interface RemapSources {
  passwd: string;
  group: string;
  subuid: string | undefined;
  subgid: string | undefined;
}

export interface RemappedRoot {
  /** the setting with names resolved ("user:group"), as dockerd rewrites it */
  setting: string;
  mapping: IdentityMapping;
  /** the host ids of the containers' root: the state directory is <data-root>/<uid>.<gid> */
  root: { uid: number; gid: number };
}

const INT32 = /^[+-]?\d+$/;
const asInt32 = (s: string): number | undefined => (INT32.test(s) && Math.abs(Number(s)) <= 2147483647 ? Number(s) : undefined);

/**
 * Resolves the setting; null when it names root (dockerd: "root cannot be remapped with itself; user
 * namespaces are OFF"). Docker's errors for unknown names and missing ranges.
 */
export function resolveRemap(setting: string, src: RemapSources): RemappedRoot | null {
  const parts = setting.split(':');
  if (parts.length > 2) throw invalidArgument(`Invalid user/group specification in --userns-remap: ${JSON.stringify(setting)}`);
  const [userPart = '', groupPart] = parts;
  const passwd = parsePasswd(src.passwd);
  const groups = parseGroup(src.group);
  let user: { name: string; uid: number };
  let groupName = '';
  const uid = asInt32(userPart);
  if (uid !== undefined) {
    if (uid < 0) throw invalidArgument(`Uid ${uid} has no entry in /etc/passwd: no matching entries in passwd file`);
    user = passwd.find((p) => p.uid === uid) ?? { name: String(uid), uid };
    if (groupPart === undefined) groupName = groups.find((g) => g.gid === uid)?.name ?? String(uid);
  } else {
    const name = userPart === 'default' ? DEFAULT_REMAP_USER : userPart;
    const found = passwd.find((p) => p.name === name);
    if (!found) {
      if (userPart === 'default') {
        throw invalidArgument(`Error during ${JSON.stringify(DEFAULT_REMAP_USER)} user creation: berth does not create users; add ${DEFAULT_REMAP_USER} and its ranges in ${SUBUID_FILE} and ${SUBGID_FILE}`);
      }
      throw invalidArgument(`Error during uid lookup for ${JSON.stringify(name)}: no matching entries in passwd file`);
    }
    user = { name: found.name, uid: found.uid };
    if (groupPart === undefined) {
      const g = groups.find((x) => x.name === name);
      if (!g) throw invalidArgument(`Error during gid lookup for ${JSON.stringify(name)}: no matching entries in group file`);
      groupName = g.name;
    }
  }
  if (groupPart !== undefined) {
    const gid = asInt32(groupPart);
    if (gid !== undefined) {
      if (gid < 0) throw invalidArgument(`Gid ${gid} has no entry in /etc/passwd: no matching entries in group file`);
      groupName = groups.find((g) => g.gid === gid)?.name ?? String(gid);
    } else {
      if (!groups.some((g) => g.name === groupPart)) throw invalidArgument(`Error during groupname lookup for ${JSON.stringify(groupPart)}: no matching entries in group file`);
      groupName = groupPart;
    }
  }
  if (user.name === 'root') return null;
  const mapping = identityMapping(user, src);
  return { setting: `${user.name}:${groupName}`, mapping, root: rootPair(mapping) };
}

/** LoadIdentityMapping: both files are searched by the user's uid, then its name (subgid too, as moby does). */
function identityMapping(user: { name: string; uid: number }, src: RemapSources): IdentityMapping {
  const keys = [String(user.uid), user.name];
  const load = (text: string | undefined, file: string, kind: string) => {
    if (text === undefined) throw invalidArgument(`Can't create ID mappings: open ${file}: no such file or directory`);
    let ranges;
    try {
      ranges = rangesOf(parseSubIds(text, file), keys);
    } catch (e) {
      throw invalidArgument(`Can't create ID mappings: ${(e as Error).message}`);
    }
    if (ranges.length === 0) throw invalidArgument(`Can't create ID mappings: no ${kind} ranges found for user ${JSON.stringify(user.name)}`);
    return createIdMap(ranges);
  };
  return { uids: load(src.subuid, SUBUID_FILE, 'subuid'), gids: load(src.subgid, SUBGID_FILE, 'subgid') };
}
