/**
 * A volume's stored record and the rules of the `local` driver: valid names, valid driver options,
 * whether a volume needs a mount (it has type/device options) and its API view.
 */
import type { Volume } from '../api/volumes.js';
import { ramInBytes } from '../core/units.js';

export const LOCAL_DRIVER = 'local';
/** Set (to "") on volumes created without a name (Docker >= 23); prune only takes these unless all=true. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface VolumeRecord {
  name: string;
  driver: string;
  /** RFC 3339 with milliseconds, UTC */
  createdAt: string;
  /** as given at creation: null when none were given */
  labels: Record<string, string> | null;
  /** the driver options (type, device, o) as given: null when none were given */
  options: Record<string, string> | null;
}

export const RESTRICTED_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const validName = new RegExp(`^${RESTRICTED_NAME_CHARS}+$`);

/** The local driver's name check; the message is Docker's (the caller prefixes `create <name>: `). */
export function nameError(name: string): string | undefined {
  if (name.length === 1) return 'volume name is too short, names should be at least two alphanumeric characters';
  if (!validName.test(name)) {
    return `"${name}" includes invalid characters for a local volume name, only "${RESTRICTED_NAME_CHARS}" are allowed. If you intended to pass a host directory, use absolute path`;
  }
  return undefined;
}

const VALID_OPTS = new Set(['type', 'o', 'device', 'size']);
const MANDATORY: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

/** The local driver's option check (validateOpts); Berth has no quota support, so size must be 0. */
export function optionsError(opts: Record<string, string> | null | undefined): string | undefined {
  if (!opts) return undefined;
  for (const k of Object.keys(opts)) if (!VALID_OPTS.has(k)) return `invalid option: ${JSON.stringify(k)}`;
  if (opts.size !== undefined) {
    let size: number;
    try {
      size = ramInBytes(opts.size);
    } catch (e) {
      return (e as Error).message;
    }
    if (size > 0) return 'quota size requested but no quota support';
  }
  for (const [k, required] of Object.entries(MANDATORY)) {
    if (!(k in opts)) continue;
    for (const r of required) if (!(r in opts)) return `missing required option: ${JSON.stringify(r)}`;
  }
  return undefined;
}

/** A volume with type/device options is mounted on its _data directory while containers use it. */
export function needsMount(rec: VolumeRecord): boolean {
  return !!(rec.options?.type || rec.options?.device);
}

/** Go's time.Format(time.RFC3339) of a UTC time: whole seconds, "Z". */
export function rfc3339(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19)}Z`;
}

/** The API view (Docker's field order). */
export function volumeView(rec: VolumeRecord, mountpoint: string): Volume {
  return {
    CreatedAt: rfc3339(rec.createdAt),
    Driver: rec.driver,
    Labels: rec.labels ? { ...rec.labels } : null,
    Mountpoint: mountpoint,
    Name: rec.name,
    Options: rec.options ? { ...rec.options } : null,
    Scope: 'local',
  };
}
