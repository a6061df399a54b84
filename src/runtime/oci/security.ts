/**
 * A container's security settings from its HostConfig (CapAdd, CapDrop, Privileged, SecurityOpt), as Docker
 * decides them (moby daemon parseSecurityOpt, validateCapabilities, oci/caps, WithSeccomp). Pure: the host's
 * bounding set, AppArmor state and profile-file reader are inputs.
 *
 * Privileged containers get every capability the host can grant, no seccomp filter, no masked or read-only
 * /proc paths; --security-opt is still checked for syntax. Everyone else gets Docker's default capabilities
 * adjusted by --cap-add/--cap-drop and the default seccomp profile resolved for exactly those capabilities.
 */
import { internal, invalidArgument } from '../../core/errors.js';
import { ALL_CAPABILITIES, capabilitiesFromMask, normalizeCapabilities, resolveCapabilities } from './capabilities.js';
import { defaultSeccompProfile, parseSeccompProfile } from './seccomp.js';
import type { SeccompConfig, SeccompHost } from './seccomp.js';

export interface SecurityInput {
  capAdd?: string[] | null;
  capDrop?: string[] | null;
  privileged?: boolean;
  securityOpt?: string[] | null;
  /** What the host can grant: CapBnd of /proc/self/status, decoded (hostBoundingCapabilities). */
  hostBoundingCaps: string[];
  /** Reads `seccomp=<path>` profiles (the docker CLI sends the file's JSON instead of its path). */
  readSeccompFile?: (path: string) => string;
  /** dockerd --no-new-privileges: the default when the container does not say. */
  defaultNoNewPrivileges?: boolean;
  /** Whether the host runs AppArmor; without it apparmor= is accepted and ignored. */
  apparmorEnabled?: boolean;
  /** Host architecture and kernel for resolving seccomp profiles (see SeccompHost). */
  host?: SeccompHost;
}

export interface SecurityPlan {
  /** Bounding = effective = permitted set, "CAP_" names. */
  capabilities: string[];
  noNewPrivileges: boolean;
  /** undefined: unconfined. */
  seccomp?: SeccompConfig;
  /** Whether Docker's default masked paths apply (false when privileged). */
  maskedPaths: boolean;
  /** Whether Docker's default read-only /proc paths apply (false when privileged). */
  readonlyPaths: boolean;
  /** AppArmor profile for process.apparmorProfile; only on hosts with AppArmor. */
  apparmor?: string;
  /** label= options (SELinux), as given; "disable" for label=disable. */
  labels?: string[];
}

/** The capability names whose bits are set in CapBnd of a /proc/<pid>/status text. */
export function hostBoundingCapabilities(statusText: string): string[] {
  const m = /^CapBnd:\s*([0-9a-fA-F]+)\s*$/m.exec(statusText);
  if (!m) throw internal('no CapBnd line in process status');
  return capabilitiesFromMask(m[1] as string);
}

/** Go's strconv.ParseBool, which Docker uses for no-new-privileges=<bool>. */
function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

interface ParsedOpts {
  noNewPrivileges?: boolean;
  seccomp?: string;
  apparmor?: string;
  labels: string[];
}

/** Docker's parseSecurityOpt: key=value (or the deprecated key:value); texts are Docker's. */
function parseSecurityOpts(opts: readonly string[]): ParsedOpts {
  const out: ParsedOpts = { labels: [] };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      out.labels.push('disable');
      continue;
    }
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw invalidArgument(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const i = opt.indexOf(sep);
    const key = opt.slice(0, i);
    const value = opt.slice(i + 1);
    switch (key) {
      case 'label':
        out.labels.push(value);
        break;
      case 'apparmor':
        out.apparmor = value;
        break;
      case 'seccomp':
        out.seccomp = value;
        break;
      case 'no-new-privileges': {
        const b = parseGoBool(value);
        if (b === undefined) throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.noNewPrivileges = b;
        break;
      }
      default:
        throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

/** Docker's validateCapabilities plus the host check: a named capability the host lacks is refused up front. */
function checkCapabilities(field: 'CapAdd' | 'CapDrop', caps: readonly string[], bounding: ReadonlySet<string>): string[] {
  let names: string[];
  try {
    names = normalizeCapabilities(caps);
  } catch (err) {
    throw invalidArgument(`invalid ${field}: ${(err as Error).message}`, err);
  }
  if (field === 'CapAdd') {
    for (const c of names) {
      if (c !== 'ALL' && !bounding.has(c)) {
        throw invalidArgument(`invalid CapAdd: capability not supported by your kernel or not available in the current environment: ${JSON.stringify(c)}`);
      }
    }
  }
  return names;
}

function seccompFor(value: string | undefined, capabilities: string[], input: SecurityInput): SeccompConfig | undefined {
  const host = input.host ?? {};
  if (value === 'unconfined') return undefined;
  if (value === undefined || value === '' || value === 'builtin') {
    return defaultSeccompProfile({ capabilities, arch: host.arch, kernel: host.kernel });
  }
  let json = value;
  if (!value.trimStart().startsWith('{')) {
    if (!input.readSeccompFile) throw invalidArgument(`seccomp profile must be JSON, "unconfined" or "builtin": ${JSON.stringify(value)}`);
    try {
      json = input.readSeccompFile(value);
    } catch (err) {
      throw invalidArgument(`opening seccomp profile (${value}) failed: ${(err as Error).message}`, err);
    }
  }
  return parseSeccompProfile(json, capabilities, host);
}

/** Decide capabilities, no-new-privileges, seccomp, masked paths, AppArmor and labels of one container. */
export function planSecurity(input: SecurityInput): SecurityPlan {
  const named = input.hostBoundingCaps.map((c) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : 'CAP_' + c.toUpperCase()));
  const bounding = new Set(named.filter((c) => ALL_CAPABILITIES.includes(c)));
  const adds = checkCapabilities('CapAdd', input.capAdd ?? [], bounding);
  const drops = checkCapabilities('CapDrop', input.capDrop ?? [], bounding);
  const opts = parseSecurityOpts(input.securityOpt ?? []);
  const privileged = !!input.privileged;
  const capabilities = resolveCapabilities({ privileged, capAdd: adds, capDrop: drops, bounding: [...bounding] });

  const plan: SecurityPlan = {
    capabilities,
    noNewPrivileges: opts.noNewPrivileges ?? !!input.defaultNoNewPrivileges,
    maskedPaths: !privileged,
    readonlyPaths: !privileged,
  };
  if (!privileged) {
    const seccomp = seccompFor(opts.seccomp, capabilities, input);
    if (seccomp) plan.seccomp = seccomp;
  }
  if (input.apparmorEnabled) {
    const profile = opts.apparmor || (privileged ? 'unconfined' : undefined);
    if (profile) plan.apparmor = profile;
  }
  if (opts.labels.length) plan.labels = opts.labels;
  return plan;
}
