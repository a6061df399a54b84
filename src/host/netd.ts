/**
 * Links, addresses, routes, sysctls and nftables rulesets without a process per call: berth-netd
 * (native/netd.c), started once on first use and kept, does them over rtnetlink and libnftables, in the
 * host's network namespace or a container's. This side only queues typed ops and reads the answers; what
 * to do is planned by the network subsystem. Without the helper (not built, or BERTH_NETD=0), `netDaemon()`
 * is null and callers run ip(8), nsenter(1) and nft(8) as before.
 *
 * Lifecycle and wire format: HelperProcess (helperproc.ts), shared with berth-mountd.
 */
import { BerthError } from '../core/errors.js';
import { HelperProcess } from './helperproc.js';
import { sharedHelper } from './native.js';

/** One step of a request; `ns` switches the steps after it into the network namespace of `pid`. */
export type NetOp =
  | { op: 'ns'; pid: number }
  /** a veth pair: `name` on the current side (put on `master` and up), `peer` created in the namespace of `peerPid` */
  | { op: 'veth'; name: string; mtu: number; peer: string; peerMac: string; peerMtu: number; peerPid: number; master: string }
  /** a macvlan child of `parent`, created in the namespace of `pid` */
  | { op: 'macvlan'; parent: string; name: string; mac: string; mtu: number; pid: number; mode: string }
  | { op: 'up'; dev: string }
  /** address add, "10.1.0.2/24" */
  | { op: 'addr'; dev: string; cidr: string }
  /** route replace default via `via` dev `dev` */
  | { op: 'route'; via: string; dev: string }
  /** link del; an interface that is already gone is no error */
  | { op: 'del'; dev: string }
  /** write `value` to /proc/sys/`path` ("net/ipv4/conf/eth0/route_localnet") in the current namespace */
  | { op: 'sysctl'; path: string; value: string }
  /** an nftables script, applied as one transaction (as `nft -f`) */
  | { op: 'nft'; script: string };

/** An op of a request failed: which one, its errno (0 for an nft error) and the message. */
export class NetOpError extends BerthError {
  constructor(readonly index: number, readonly errno: number, readonly detail: string) {
    super('Internal', detail);
  }
}

/** ENOSYS from an nft op: the helper could not load libnftables */
export const ENOSYS = 38;

/** The fields of a request (pure, for tests). */
export function requestFields(ops: NetOp[]): string[] {
  const out = ['x', String(ops.length)];
  for (const o of ops) {
    switch (o.op) {
      case 'ns': out.push('ns', String(o.pid)); break;
      case 'veth': out.push('veth', o.name, String(o.mtu), o.peer, o.peerMac, String(o.peerMtu), String(o.peerPid), o.master); break;
      case 'macvlan': out.push('macvlan', o.parent, o.name, o.mac, String(o.mtu), String(o.pid), o.mode); break;
      case 'up': out.push('up', o.dev); break;
      case 'addr': out.push('addr', o.dev, o.cidr); break;
      case 'route': out.push('route', o.via, o.dev); break;
      case 'del': out.push('del', o.dev); break;
      case 'sysctl': out.push('sysctl', o.path, o.value); break;
      case 'nft': out.push('nft', o.script); break;
    }
  }
  return out;
}

/** "0" or "<index> <errno> <message>" (the message's "\n" and "\\" escaped) */
export function parseAnswer(line: string): { ok: true } | { ok: false; index: number; errno: number; message: string } {
  if (line === '0') return { ok: true };
  const m = /^(\d+) (\d+) ?([\s\S]*)$/.exec(line);
  if (!m) return { ok: false, index: -1, errno: 0, message: `berth-netd: unexpected answer ${JSON.stringify(line)}` };
  const message = m[3]!.replace(/\\(\\|n)/g, (_s, c: string) => (c === 'n' ? '\n' : '\\'));
  return { ok: false, index: Number(m[1]), errno: Number(m[2]), message };
}

export class NetDaemon {
  private readonly proc: HelperProcess;
  private features?: Promise<Set<string>>;

  constructor(helper: string) {
    // a new helper process may have other features (libnftables installed since)
    this.proc = new HelperProcess(helper, 'berth-netd', () => { this.features = undefined; });
  }

  private send(fields: string[]): Promise<string> {
    return this.proc.send(fields);
  }

  /** Can the helper apply nftables rulesets (was libnftables loaded)? */
  async hasNft(): Promise<boolean> {
    this.features ??= this.send(['v']).then((l) => new Set(l.split(' ').slice(1)));
    return (await this.features.catch(() => new Set<string>())).has('nft');
  }

  /** Runs the ops in order; rejects with a NetOpError naming the first that failed. */
  async run(ops: NetOp[]): Promise<void> {
    if (!ops.length) return;
    const a = parseAnswer(await this.send(requestFields(ops)));
    if (!a.ok) throw new NetOpError(a.index, a.errno, a.message);
  }

  close(): void {
    this.proc.close();
  }
}

/** the process-wide helper, or null when it was not built or BERTH_NETD=0 (then ip, nsenter and nft run) */
export const netDaemon = sharedHelper('berth-netd', () => process.env.BERTH_NETD === '0', (helper) => new NetDaemon(helper));
