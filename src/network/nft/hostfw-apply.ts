/**
 * Living beside another firewall: the executor. It reads what the host's other firewalls hold (the
 * chains nftables lists, iptables-save of each iptables backend in use), lets the pure planner
 * (hostfw.ts) work out Berth's accepts, and applies them through the owner's own tool: iptables-restore
 * --noflush for iptables' table (only Berth's chain and its jump change), `nft -f` for native chains
 * (only rules carrying Berth's comment change). It remembers what it found for `docker info`.
 *
 * Lifecycle: sync(bridges) after each firewall apply (it does nothing when the bridges did not change,
 * unless forced: the network service forces it now and then, so a firewall started after Berth is
 * noticed), sync([]) when the daemon's tables go. Failures are logged and reported as warnings, never
 * thrown: another tool's ruleset must not stop a container from starting.
 */
import { promises as fsp } from 'node:fs';
import { HostCommandError, run as runHost } from '../../host/index.js';
import {
  type HostBridge, type IptablesBackend, isIptablesNft, nativeCandidates, parseIptablesSave, parseNftChains, parseNftRules, planIptables, planNative,
} from './hostfw.js';

interface RunResult { code: number; stdout: string; stderr: string }

/** A host program's outcome, failures included (they become warnings here, not errors). */
async function run(cmd: string, args: string[], input = ''): Promise<RunResult> {
  try {
    const r = await runHost(cmd, args, { input });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    if (!(e instanceof HostCommandError)) throw e;
    return { code: e.exitCode ?? -1, stdout: '', stderr: e.stderr || e.message };
  }
}

const BACKENDS: Record<IptablesBackend, { save: string; restore: string }> = {
  nft: { save: 'iptables-nft-save', restore: 'iptables-nft-restore' },
  legacy: { save: 'iptables-legacy-save', restore: 'iptables-legacy-restore' },
};

export class HostFirewall {
  readonly #table: string;
  readonly #nft: string;
  readonly #log: (m: string) => void;
  #notes: string[] = [];
  #lastKey: string | undefined;
  /** the bridges of the last sync asked for */
  #requested: string | undefined;
  /** native chains Berth put rules in (looked at again even when their policy no longer drops) */
  readonly #touched = new Set<string>();
  #chain: Promise<void> = Promise.resolve();

  constructor(opts: { table: string; nft?: string; log?: (m: string) => void }) {
    this.#table = opts.table;
    this.#nft = opts.nft ?? 'nft';
    this.#log = opts.log ?? (() => undefined);
  }

  /** What was found and done at the last sync, as `docker info` Warnings. */
  warnings(): string[] {
    return this.#notes.map((n) => `WARNING: ${n}`);
  }

  /** Make Berth's accepts in other firewalls match `bridges` (one sync at a time). */
  sync(bridges: HostBridge[], force = false): Promise<void> {
    const key = JSON.stringify([...bridges].sort((a, b) => (a.bridge < b.bridge ? -1 : 1)));
    // the bridges are those of the last sync asked for, and it is done: nothing to wait for (not even a
    // periodic check that is running, which looks at the same bridges), so a container start never waits
    // for iptables-save and nft listings
    if (!force && key === this.#lastKey && key === this.#requested) return Promise.resolve();
    this.#requested = key;
    const next = this.#chain.then(async () => {
      if (!force && key === this.#lastKey) return;
      this.#notes = await this.#sync(bridges);
      this.#lastKey = key;
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #sync(bridges: HostBridge[]): Promise<string[]> {
    const notes: string[] = [];
    const failed = (what: string, r: RunResult) => {
      const msg = `${what} failed: ${(r.stderr || `exit status ${r.code}`).trim().split('\n')[0]}`;
      this.#log(`host firewall: ${msg}`);
      notes.push(`Berth could not add its accepts to another firewall (${msg}): its containers' traffic may be dropped there`);
    };
    const listed = await run(this.#nft, ['-j', 'list', 'chains']);
    const chains = listed.code === 0 ? parseNftChains(listed.stdout) : [];
    if (listed.code !== 0) failed('nft list chains', listed);

    // iptables, on each backend that holds a filter table
    const backends: IptablesBackend[] = [];
    if (chains.some((c) => c.family === 'ip' && c.table === 'filter' && c.hook && isIptablesNft(c))) backends.push('nft');
    const legacy = await fsp.readFile('/proc/net/ip_tables_names', 'utf8').catch(() => '');
    if (legacy.split('\n').includes('filter')) backends.push('legacy');
    let dropping = false;
    for (const b of backends) {
      const saved = await run(BACKENDS[b].save, ['-t', 'filter']);
      if (saved.code !== 0) { failed(BACKENDS[b].save, saved); continue; }
      const view = parseIptablesSave(saved.stdout, b);
      if (view.policies.FORWARD === 'DROP') dropping = true;
      const plan = planIptables(this.#table, bridges, view);
      if (plan.script) {
        const r = await run(BACKENDS[b].restore, ['-w', '--noflush'], plan.script);
        if (r.code !== 0) { failed(BACKENDS[b].restore, r); continue; }
        this.#log(`host firewall: updated Berth's iptables (${b}) chains`);
      }
      notes.push(...plan.notes);
    }

    // native nftables chains at the forward and input hooks
    const scripts: string[] = [];
    for (const c of nativeCandidates(chains, this.#table)) {
      const key = `${c.family} ${c.table} ${c.name}`;
      if (c.policy !== 'drop' && !this.#touched.has(key)) continue;
      const listedRules = await run(this.#nft, ['-j', '-a', 'list', 'chain', c.family, c.table, c.name]);
      if (listedRules.code !== 0) { failed(`nft list chain ${c.family} ${c.table} ${c.name}`, listedRules); continue; }
      if (c.hook === 'forward' && c.policy === 'drop') dropping = true;
      const plan = planNative(this.#table, bridges, c, parseNftRules(listedRules.stdout));
      if (plan.script) scripts.push(plan.script);
      if (bridges.length && c.policy === 'drop') this.#touched.add(key);
      else this.#touched.delete(key);
      if (plan.note) notes.push(plan.note);
    }
    if (scripts.length) {
      const r = await run(this.#nft, ['-f', '-'], scripts.join(''));
      if (r.code !== 0) failed('nft (rules in other tables)', r);
      else this.#log('host firewall: updated Berth\'s rules in other nftables tables');
    }

    if (chains.some((c) => c.table === 'firewalld')) {
      notes.push(`firewalld is running: Berth does not change its zones; if containers cannot reach each other or the outside, put Berth's bridges (${
        bridges.map((b) => b.bridge).join(', ') || 'none yet'}) in a zone that allows forwarding, e.g. firewall-cmd --zone=trusted --add-interface=<bridge>`);
    }
    if (dropping && bridges.length) {
      const brnf = (await fsp.readFile('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').catch(() => '')).trim();
      if (brnf === '1') {
        notes.push('bridge-nf-call-iptables is enabled (br_netfilter): traffic between two containers on one bridge also passes the forward ' +
          'chains above, and Berth\'s accepts there cover it');
      }
    }
    return notes;
  }
}
