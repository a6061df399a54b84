/**
 * Living beside another firewall: the pure half. Berth's own tables accept its bridges' traffic, but in
 * nftables an accept only ends one base chain: any other base chain at the same hook may still drop the
 * packet. Docker's engine (iptables FORWARD policy DROP), ufw and hand-written nftables rulesets do, so
 * there Berth adds narrowly scoped accepts for its own bridges, as Docker documents for DOCKER-USER and
 * as Podman's netavark does with its NETAVARK_FORWARD chain.
 *
 * Glossary:
 *   foreign chain   a base chain of another table at the forward (or input) hook; a `drop` policy there
 *                   drops whatever its rules do not accept, Berth's traffic included
 *   iptables        the `filter` table of iptables, on either backend: `iptables-nft` (an nftables table
 *                   `ip filter` with base chains FORWARD/INPUT) or `iptables-legacy` (x_tables). Berth
 *                   changes it only through that backend's own iptables-restore, so iptables keeps reading
 *                   its table: one chain of Berth's own (`<TABLE>-FWD`, `<TABLE>-IN`), rewritten whole,
 *                   and one jump to it appended to FORWARD (INPUT) with the comment `berth:<table>`
 *   native chain    a foreign base chain in a table iptables does not manage: Berth appends its rules to
 *                   it, each with a comment `berth:<table>:<bridge>:<what>`, and deletes them by handle
 *
 * What is accepted, per bridge (Berth's own tables still drop what they drop, as a drop anywhere is
 * final): port-to-port traffic on the bridge (br_netfilter shows it at the forward hook with in and out
 * interface both the bridge), replies to the bridge, DNATed traffic to it (published ports) and, unless
 * the network is --internal, everything leaving it. At the input hook, only DNS queries from a user
 * network to its embedded resolver on the gateway.
 *
 * Nothing else of another tool's ruleset is flushed, reordered or rewritten. Everything here is pure:
 * the executor (hostfw-apply.ts) reads the live state and runs the scripts.
 */

export interface HostBridge {
  bridge: string;
  internal: boolean;
  /** the embedded resolver's address on this network (its gateway), when it has one */
  dns?: string;
}

/** One chain of `nft -j list chains`. */
export interface NftChain {
  family: string;
  table: string;
  name: string;
  handle?: number;
  hook?: string;
  prio?: number;
  policy?: string;
}

export type IptablesBackend = 'nft' | 'legacy';

/** What `iptables-save -t filter` says about the chains Berth cares about. */
export interface IptablesView {
  backend: IptablesBackend;
  /** policies of the built-in chains, e.g. { FORWARD: 'DROP' } */
  policies: Record<string, string>;
  /** user chains that exist */
  chains: Set<string>;
  /** the table's rules, as saved (`-A FORWARD ...`) */
  rules: string[];
}

/** `nft -j list chains` (or `list chain ... -a`) output: the chains, or [] when it is not JSON. */
export function parseNftChains(json: string): NftChain[] {
  try {
    const doc = JSON.parse(json) as { nftables?: { chain?: NftChain }[] };
    return (doc.nftables ?? []).flatMap((o) => (o.chain ? [o.chain] : []));
  } catch {
    return [];
  }
}

/** `iptables-save -t filter` of one backend. */
export function parseIptablesSave(text: string, backend: IptablesBackend): IptablesView {
  const view: IptablesView = { backend, policies: {}, chains: new Set(), rules: [] };
  let inFilter = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) inFilter = line === '*filter';
    if (!inFilter) continue;
    const decl = /^:(\S+) (\S+)/.exec(line);
    if (decl) {
      if (decl[2] === '-') view.chains.add(decl[1]);
      else view.policies[decl[1]] = decl[2];
    } else if (line.startsWith('-A ')) {
      view.rules.push(line);
    }
  }
  return view;
}

/** The iptables chain names of a daemon's table: `berth` -> BERTH-FWD, `berth_0a1b` -> BERTH-0A1B-FWD. */
export function iptablesChains(table: string): { forward: string; input: string } {
  const base = table.toUpperCase().replace(/_/g, '-').slice(0, 24);
  return { forward: `${base}-FWD`, input: `${base}-IN` };
}

const jumpRule = (builtin: string, table: string, chain: string) => `-A ${builtin} -m comment --comment "berth:${table}" -j ${chain}`;

export interface IptablesPlan {
  /** input for `iptables-restore --noflush` of that backend, or '' when nothing is to change */
  script: string;
  /** what was found and done, for `docker info` */
  notes: string[];
}

/**
 * The iptables-restore script that makes Berth's chains hold exactly the accepts for `bridges` (none
 * when `bridges` is empty: then the chains and their jumps go). A chain is kept up to date when it
 * exists or when the built-in chain it serves has policy DROP; nothing is added where the policy accepts.
 */
export function planIptables(table: string, bridges: HostBridge[], view: IptablesView): IptablesPlan {
  const names = iptablesChains(table);
  const out: string[] = [];
  const notes: string[] = [];
  const tool = view.backend === 'nft' ? 'iptables-nft' : 'iptables-legacy';
  const sorted = [...bridges].sort((a, b) => (a.bridge < b.bridge ? -1 : a.bridge > b.bridge ? 1 : 0));
  const parts: { builtin: 'FORWARD' | 'INPUT'; chain: string; rules: string[] }[] = [
    { builtin: 'FORWARD', chain: names.forward, rules: sorted.flatMap((b) => forwardRules(names.forward, b)) },
    { builtin: 'INPUT', chain: names.input, rules: sorted.flatMap((b) => inputRules(names.input, b)) },
  ];
  const removals: string[] = [];
  for (const p of parts) {
    const jump = jumpRule(p.builtin, table, p.chain);
    const jumps = view.rules.filter((r) => r === jump);
    const drops = view.policies[p.builtin] === 'DROP';
    const wanted = p.rules.length > 0 && (drops || view.chains.has(p.chain));
    if (wanted) {
      const current = view.rules.filter((r) => r.startsWith(`-A ${p.chain} `));
      const same = current.length === p.rules.length && current.every((r, i) => r === p.rules[i]);
      if (!same || !view.chains.has(p.chain)) out.push(`:${p.chain} - [0:0]`, ...p.rules);
      if (jumps.length === 0) out.push(jump);
      if (drops) {
        notes.push(`the ${tool} ${p.builtin} chain has policy DROP (as Docker's engine or ufw set it): Berth accepts its own bridges' ` +
          `${p.builtin === 'FORWARD' ? 'traffic' : 'DNS queries'} there, in its chain ${p.chain}, jumped to from the end of ${p.builtin} (comment "berth:${table}")`);
      }
    } else if (jumps.length > 0 || view.chains.has(p.chain)) {
      for (const j of jumps) removals.push(`-D ${j.slice(3)}`);
      if (view.chains.has(p.chain)) removals.push(`-F ${p.chain}`, `-X ${p.chain}`);
    }
  }
  const body = [...out, ...removals];
  return { script: body.length ? ['*filter', ...body, 'COMMIT', ''].join('\n') : '', notes };
}

function forwardRules(chain: string, b: HostBridge): string[] {
  const br = b.bridge;
  const rules = [
    `-A ${chain} -i ${br} -o ${br} -j ACCEPT`,
    `-A ${chain} -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  ];
  if (!b.internal) rules.push(`-A ${chain} -o ${br} -m conntrack --ctstate DNAT -j ACCEPT`, `-A ${chain} -i ${br} -j ACCEPT`);
  return rules;
}

function inputRules(chain: string, b: HostBridge): string[] {
  if (!b.dns) return [];
  // written as iptables-save prints them (addresses before interfaces), so an unchanged chain compares equal
  return ['udp', 'tcp'].map((p) => `-A ${chain} -d ${b.dns}/32 -i ${b.bridge} -p ${p} -m ${p} --dport 53 -j ACCEPT`);
}

// ---------------------------------------------------------------------------------------------------
// native nftables chains

/** A rule of a native chain, from `nft -j -a list chain ...`: its handle and comment. */
export interface NftRule {
  handle: number;
  comment?: string;
}

export function parseNftRules(json: string): NftRule[] {
  try {
    const doc = JSON.parse(json) as { nftables?: { rule?: { handle: number; comment?: string } }[] };
    return (doc.nftables ?? []).flatMap((o) => (o.rule ? [{ handle: o.rule.handle, comment: o.rule.comment }] : []));
  } catch {
    return [];
  }
}

const IPTABLES_TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'];
const IPTABLES_BUILTINS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/**
 * Is this base chain one of iptables-nft's (changed only through iptables-nft-restore)? Its table has an
 * iptables name and the chain a built-in's; a hand-written `table ip filter` with a chain `forward` is not.
 */
export function isIptablesNft(c: Pick<NftChain, 'family' | 'table' | 'name'>): boolean {
  return (c.family === 'ip' || c.family === 'ip6') && IPTABLES_TABLES.includes(c.table) && IPTABLES_BUILTINS.includes(c.name);
}

/**
 * The foreign native chains Berth has to look into: IPv4-capable (ip, inet) base chains at the forward
 * and input hooks of tables that are neither Berth's own (any daemon's: `berth`, `berth_*`) nor iptables'.
 */
export function nativeCandidates(chains: NftChain[], ownTable: string): NftChain[] {
  return chains.filter((c) => (c.family === 'ip' || c.family === 'inet') && (c.hook === 'forward' || c.hook === 'input') &&
    c.table !== ownTable && !/^berth(_|$)/.test(c.table) && !isIptablesNft(c));
}

/** The nft script that leaves exactly Berth's wanted rules in one native chain (adds and deletes). */
export function planNative(table: string, bridges: HostBridge[], c: NftChain, existing: NftRule[]): { script: string; note?: string } {
  const prefix = `berth:${table}:`;
  const wanted = new Map<string, string>();
  const drops = c.policy === 'drop';
  const ours = existing.filter((r) => r.comment?.startsWith(prefix));
  if (drops || ours.length) {
    for (const b of [...bridges].sort((x, y) => (x.bridge < y.bridge ? -1 : 1))) {
      const br = `"${b.bridge}"`;
      const add = (what: string, rule: string) => wanted.set(`${prefix}${b.bridge}:${what}`, rule);
      if (c.hook === 'forward') {
        add('icc', `iifname ${br} oifname ${br} accept`);
        add('replies', `oifname ${br} ct state established,related accept`);
        if (!b.internal) {
          add('published', `oifname ${br} ct status dnat accept`);
          add('outbound', `iifname ${br} accept`);
        }
      } else if (b.dns) {
        add('dns-udp', `iifname ${br} ip daddr ${b.dns} udp dport 53 accept`);
        add('dns-tcp', `iifname ${br} ip daddr ${b.dns} tcp dport 53 accept`);
      }
    }
  }
  const where = `${c.family} ${c.table} ${c.name}`;
  const lines: string[] = [];
  const have = new Set<string>();
  for (const r of ours) {
    if (wanted.has(r.comment!) && !have.has(r.comment!)) have.add(r.comment!);
    else lines.push(`delete rule ${where} handle ${r.handle}`);
  }
  for (const [comment, rule] of wanted) if (!have.has(comment)) lines.push(`add rule ${where} ${rule} comment "${comment}"`);
  const note = drops && wanted.size
    ? `the ${c.hook} chain "${c.name}" of table ${c.family} ${c.table} has policy drop: Berth appended accepts for its own bridges to it (comments "berth:${table}:...")`
    : undefined;
  return { script: lines.length ? `${lines.join('\n')}\n` : '', note };
}
