/**
 * Linux capabilities as Docker handles them (moby oci/caps): names are normalised to "CAP_X", "ALL" is
 * accepted in add/drop, and the result is clamped to what the daemon itself can grant (its bounding set).
 */
import { invalidArgument } from '../../core/errors.js';

/** Every capability Linux defines, in bit order (capability(7)). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default capability set (moby oci/caps/defaults.go), in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/**
 * The capability names in a hex mask as found in /proc/self/status (`CapBnd: 000001ffffffffff`).
 * Bits beyond the known list are ignored.
 */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt('0x' + (hex.trim() || '0'));
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** "net_admin" / "NET_ADMIN" / "CAP_NET_ADMIN" → "CAP_NET_ADMIN"; "all" → "ALL"; unknown → invalidArgument. */
export function normalizeCapabilities(caps: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of caps) {
    let c = raw.toUpperCase();
    if (c === 'ALL') {
      out.push(c);
      continue;
    }
    if (!c.startsWith('CAP_')) c = 'CAP_' + c;
    if (!ALL_CAPABILITIES.includes(c)) throw invalidArgument(`unknown capability: ${JSON.stringify(c)}`);
    out.push(c);
  }
  return out;
}

export interface CapabilityOptions {
  privileged?: boolean;
  capAdd?: readonly string[] | null;
  capDrop?: readonly string[] | null;
  /** The capabilities the daemon can grant; defaults to every known capability. */
  bounding?: readonly string[] | null;
}

/**
 * Docker's TweakCapabilities: privileged → everything; "ALL" in add → everything but the drops;
 * "ALL" in drop → only the adds; otherwise defaults − drops + adds. Anything the daemon cannot grant is
 * left out when it comes from a default or "ALL"; asking for it by name is an error, since runc would
 * fail later with a far less helpful message.
 */
export function resolveCapabilities(opts: CapabilityOptions): string[] {
  const bounding = opts.bounding ? normalizeCapabilities(opts.bounding.filter((c) => c.toUpperCase() !== 'ALL')) : [...ALL_CAPABILITIES];
  const grantable = (c: string) => bounding.includes(c);
  const allGrantable = ALL_CAPABILITIES.filter(grantable);
  if (opts.privileged) return allGrantable;
  const adds = normalizeCapabilities(opts.capAdd ?? []);
  const drops = normalizeCapabilities(opts.capDrop ?? []);
  for (const c of adds) {
    if (c !== 'ALL' && !grantable(c)) throw invalidArgument(`capability ${c} is not available to the daemon`);
  }
  let caps: string[];
  if (adds.includes('ALL')) {
    caps = allGrantable.filter((c) => !drops.includes(c));
  } else if (drops.includes('ALL')) {
    caps = [...adds];
  } else {
    caps = DEFAULT_CAPABILITIES.filter((c) => grantable(c) && !drops.includes(c));
    caps.push(...adds);
  }
  return [...new Set(caps)];
}
