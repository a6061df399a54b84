/**
 * The firewall executor: the one place that talks to nftables. It renders a FirewallState with the pure
 * planner and hands the script to berth-netd's libnftables (no process per script) or pipes it into
 * `nft -f -`; either applies it as one transaction (all or nothing).
 *
 * Lifecycle of a request: apply(s)/remove(t) render the script at once (an invalid state is rejected
 * before anything is queued), then queue it. Requests run one at a time, in order. An apply that is
 * queued behind another not-yet-started apply of the same table replaces it: only the latest state is
 * applied, and the callers of both are settled by that one run (coalescing).
 *
 * With a HostFirewall, each apply is followed by a sync of Berth's accepts in the host's other firewalls
 * (hostfw-apply.ts), and a remove takes them away; that sync never fails the request.
 */
import { BerthError, unavailable } from '../../core/errors.js';
import { HostCommandError, NetOpError, run, type NetDaemon, type NetOp } from '../../host/index.js';
import { ENOSYS } from '../../host/netd.js';
import { renderDelete, renderRuleset } from './plan.js';
import type { FirewallState } from './types.js';
import type { HostBridge } from './hostfw.js';

/** Berth's accepts in other firewalls (HostFirewall in hostfw-apply.ts). */
export interface HostFirewallSync {
  sync(bridges: HostBridge[], force?: boolean): Promise<void>;
  warnings(): string[];
}

export interface FirewallOptions {
  /** path of the nft binary (default "nft", looked up in PATH) */
  nft?: string;
  log?: (m: string) => void;
  /** keeps Berth's accepts in the host's other firewalls in step with its bridges */
  host?: HostFirewallSync;
  /**
   * berth-netd, which applies scripts through libnftables without an nft process (its context and cache
   * are kept between scripts); nft(8) runs when it is absent or could not load libnftables
   */
  netd?: NetDaemon | null;
}

/** nft ran and failed: its exit code and what it said on stderr. */
export class NftError extends BerthError {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(exitCode: number | null, signal: NodeJS.Signals | null, stderr: string) {
    const how = exitCode !== null ? `exit code ${exitCode}` : `signal ${signal ?? 'unknown'}`;
    super('Internal', `nft failed (${how}): ${stderr.trim() || 'no error output'}`);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Job {
  kind: 'apply' | 'remove';
  table: string;
  script: string;
  /** the bridges the host firewall sync is given after this job */
  bridges: HostBridge[];
  waiters: Waiter[];
}

const MAX_STDERR = 64 * 1024;

export class Firewall {
  readonly #nft: string;
  readonly #log: (m: string) => void;
  readonly #queue: Job[] = [];
  readonly #host?: HostFirewallSync;
  readonly #netd?: NetDaemon | null;
  #busy = false;

  constructor(opts: FirewallOptions = {}) {
    this.#nft = opts.nft ?? 'nft';
    this.#log = opts.log ?? (() => {});
    this.#host = opts.host;
    this.#netd = opts.netd;
  }

  /** Pipe `script` into nft: through berth-netd when it can, else `nft -f -` (in the namespace of `netns`). */
  async #runNft(script: string, netns?: number): Promise<void> {
    if (this.#netd && (await this.#netd.hasNft())) {
      const ops: NetOp[] = netns === undefined ? [{ op: 'nft', script }] : [{ op: 'ns', pid: netns }, { op: 'nft', script }];
      try {
        await this.#netd.run(ops);
        return;
      } catch (err) {
        if (!(err instanceof NetOpError)) throw err;
        // libnftables went away (it cannot, once loaded; kept for safety): nft(8) below
        if (!(err.errno === ENOSYS && ops[err.index]?.op === 'nft')) throw new NftError(1, null, err.detail.slice(0, MAX_STDERR));
      }
    }
    return runNft(this.#nft, script, netns);
  }

  /** Replace this daemon's tables (`s.table` in the inet and bridge families) with the rules for `s`. */
  apply(s: FirewallState): Promise<void> {
    return this.#enqueue('apply', s.table, () => renderRuleset(s), hostBridges(s));
  }

  /**
   * Load a ruleset into the network namespace of process `pid` (a container's own table, such as the
   * embedded DNS redirect). It does not touch the host's tables, so it is not queued behind them.
   */
  applyInNamespace(pid: number, script: string): Promise<void> {
    return this.#runNft(script, pid);
  }

  /** Remove this daemon's tables (and its accepts in other firewalls); succeeds when they do not exist. */
  remove(table: string): Promise<void> {
    return this.#enqueue('remove', table, () => renderDelete(table), []);
  }

  /** Look at the host's other firewalls again, even when Berth's bridges did not change. */
  checkHost(s: FirewallState): Promise<void> {
    return this.#host ? this.#host.sync(hostBridges(s), true) : Promise.resolve();
  }

  /** What Berth found in the host's other firewalls and what it did there (`docker info` Warnings). */
  warnings(): string[] {
    return this.#host?.warnings() ?? [];
  }

  #enqueue(kind: Job['kind'], table: string, render: () => string, bridges: HostBridge[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let script: string;
      try {
        script = render();
      } catch (err) {
        reject(err);
        return;
      }
      const waiter = { resolve, reject };
      const last = this.#queue.at(-1);
      if (kind === 'apply' && last && last.kind === 'apply' && last.table === table) {
        last.script = script;
        last.bridges = bridges;
        last.waiters.push(waiter);
      } else {
        this.#queue.push({ kind, table, script, bridges, waiters: [waiter] });
      }
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
        try {
          await this.#runNft(job.script);
          await this.#host?.sync(job.bridges).catch((err: Error) => this.#log(`firewall: host firewall sync failed: ${err.message}`));
          this.#log(`firewall: ${job.kind === 'apply' ? 'applied' : 'removed'} tables ${job.table}` +
            (job.waiters.length > 1 ? ` (${job.waiters.length} requests coalesced)` : ''));
          for (const w of job.waiters) w.resolve();
        } catch (err) {
          this.#log(`firewall: ${job.kind} of tables ${job.table} failed: ${(err as Error).message}`);
          for (const w of job.waiters) w.reject(err);
        }
      }
    } finally {
      this.#busy = false;
    }
  }
}

function hostBridges(s: FirewallState): HostBridge[] {
  return s.networks.map((n) => ({ bridge: n.bridge, internal: n.internal, ...(n.dns ? { dns: n.dns } : {}) }));
}

/** Pipe `script` into `nft -f -` (in the network namespace of `netns`, if given); reject with nft's stderr. */
async function runNft(nft: string, script: string, netns?: number): Promise<void> {
  try {
    await run(nft, ['-f', '-'], { input: script, netns });
  } catch (err) {
    if (!(err instanceof HostCommandError)) throw err;
    if (err.exitCode === null && err.signal === null) throw unavailable(`cannot run ${nft}: ${err.message}`, err);
    throw new NftError(err.exitCode, err.signal, err.stderr.slice(0, MAX_STDERR));
  }
}
