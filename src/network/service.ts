/**
 * NetworkService: Docker's networks on Linux bridges (and macvlan), with IPAM, the firewall and the
 * embedded DNS. It owns the network records; containers reach it through four calls made by the
 * container lifecycle:
 *
 *   endpointsForCreate(body)  which networks a new container is on (validated)
 *   prepare(rec)              addresses and host ports for a container about to start
 *   wire(rec, pid)            veths/macvlans, addresses, routes, DNS redirect, firewall (before it runs)
 *   release(rec)              all of that undone when it stops (or its start failed)
 *
 * The kernel is only touched through `netExec` (berth-netd, or iproute2/nsenter) and the Firewall (nft); both are
 * driven by pure planners (links.ts, nft/plan.ts). New networks and the default bridge's address are
 * worked out in create.ts; what is asked of the host (routes, addresses, free ports) is in host.ts.
 */
import type {
  ContainerCreateBody, EndpointSettings, NetworkCreateRequest, NetworkResource,
} from '../api/types.js';
import { forbidden, invalidArgument, notFound } from '../core/errors.js';
import { newId, shortId } from '../core/ids.js';
import { KeyedLock } from '../host/lock.js';
import type { NetContainer } from './endpoint.js';
import { checkEndpoint, endpointsForCreate } from './endpoints.js';
export { networkOfMode } from './endpoints.js';
import type { FirewallState } from './nft/types.js';
import { Pool } from './ipam.js';
import { isIPv4, macFromIp } from '../core/ipnet.js';
import {
  type AttachPlan, attachOps, bridgeScript, containerOps, detachOps, dnsRedirectRuleset, hostIfaceName, parseLink,
} from './links.js';
import { systemNetHost, type NetHost } from './host.js';
import { checkNetworkName, planDefaultBridge, planNetworkCreate } from './create.js';
import { planBindings, PortAllocator, portsView, type Binding } from './ports.js';
import { type EndpointRecord, type NetworkRecord, networkView, prefixLen } from './record.js';
import { hasEmbeddedDns, NameResolver } from './resolver.js';
import type { HostEntry } from './files.js';
import { UserlandProxy } from './proxy.js';
import { followDns, switchResolvConf } from './dnsconf.js';
import { removeIdleFirewall, watchHostFirewall } from './upkeep.js';
import { matchesFilters, matchesPruneFilters } from './filters.js';
import type { NetworkConfig, NetworkDeps, PreparedNetworking } from './config.js';
export type { NetworkConfig, NetworkDeps, NetworkOptions, PreparedNetworking } from './config.js';

const MODE_NETWORKS = new Set(['host', 'none']);


const bool = (v: string | undefined, dflt: boolean) => (v === undefined ? dflt : v === 'true' || v === '1');

export class NetworkService {
  readonly resolver: NameResolver;
  /** firewall applies started by prepare(), awaited by wire() before the container runs */
  private readonly earlyRules = new Map<string, Promise<void>>();
  /** releases whose host side is still being done, in all and by container (see `release`) */
  private readonly background = new Set<Promise<void>>();
  private readonly releasing = new Map<string, Promise<void>>();
  private readonly pools = new Map<string, Pool>();
  private readonly ports = new PortAllocator();
  private hostUpstreams: string[] = [];
  private readonly lock = new KeyedLock();
  private readonly proxy: UserlandProxy;
  private hostCheck?: NodeJS.Timeout;

  private readonly h: NetHost;

  constructor(private readonly cfg: NetworkConfig, private readonly d: NetworkDeps) {
    this.h = d.host ?? systemNetHost;
    this.proxy = new UserlandProxy(d.log);
    this.resolver = new NameResolver({
      networks: () => this.d.store.all(),
      upstreams: (cid) => {
        const rec = cid ? this.d.containers.get(cid) : undefined;
        if (rec?.hostConfig.Dns?.length) return rec.hostConfig.Dns;
        return this.cfg.dns.length ? this.cfg.dns : this.hostUpstreams;
      },
    });
  }

  /** Serialises changes to one network (IPAM and endpoint records). */
  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(key, fn);
  }


  // ---------------------------------------------------------------- start-up

  /**
   * Loads the networks, creates the predefined ones, brings the default bridge up (subnet from --bip,
   * else what it had, else the first free default pool) and rebuilds every user bridge.
   */
  async init(): Promise<void> {
    const resolv = await this.d.hostResolvConf();
    this.hostUpstreams = resolv.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s && isIPv4(s));
    if (this.cfg.ipForward) {
      const cur = (await this.h.readSysctl('net.ipv4.ip_forward')) ?? '1';
      if (cur !== '1') await this.h.sysctl('net.ipv4.ip_forward', '1');
    }
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!this.d.store.byName(name)) await this.d.store.save(this.newRecord(name, driver, true));
    }
    await this.initDefaultBridge();
    for (const n of this.d.store.all()) {
      if (n.subnet && (n.driver === 'bridge' || n.driver === 'macvlan')) {
        const pool = new Pool(n.subnet, n.gateway, n.ipRange, Object.values(n.auxAddresses));
        for (const e of Object.values(n.endpoints)) if (e.ip) pool.request(e.ip);
        this.pools.set(n.id, pool);
      }
      if (n.driver === 'bridge' && n.bridge && !n.predefined) await this.ensureBridge(n);
    }
    for (const rec of this.d.containers.all()) {
      if (rec.published && rec.state.Status === 'running') for (const b of rec.published.bindings) this.ports.restore(rec.id, b);
    }
  }

  /**
   * After the containers were reconciled: endpoints of containers that are no longer running are
   * removed (with their veths), then the firewall is rebuilt and the resolver listens again.
   */
  async resync(): Promise<void> {
    for (const n of this.d.store.all()) {
      let changed = false;
      for (const [cid, e] of Object.entries(n.endpoints)) {
        const rec = this.d.containers.get(cid);
        if (rec && rec.state.Status === 'running') continue;
        if (e.hostIface && (await this.h.exists(e.hostIface))) await this.h.apply(detachOps([e.hostIface])).catch(() => undefined);
        if (e.ip) this.pools.get(n.id)?.release(e.ip);
        delete n.endpoints[cid];
        changed = true;
      }
      if (changed) await this.d.store.save(n);
    }
    await this.applyFirewall();
    for (const n of this.d.store.all()) if (this.dnsAddress(n)) await this.listenDns(n);
    for (const rec of this.d.containers.all()) {
      if (rec.published && rec.state.Status === 'running') await this.startProxy(rec).catch((e) => this.d.log(`userland proxy for ${rec.id}: ${(e as Error).message}`));
    }
    const check = this.d.firewall.checkHost;
    if (check) this.hostCheck = watchHostFirewall(() => check.call(this.d.firewall, this.firewallState()), this.d.log);
  }

  /** The daemon stops; the firewall goes only when nothing runs on its networks (upkeep.ts). */
  async close(): Promise<void> {
    clearInterval(this.hostCheck);
    await this.settle();
    this.proxy.stopAll();
    await this.d.dns.closeAll();
    await removeIdleFirewall(this.d.store.all(), this.d.containers.all(), () => this.d.firewall.remove(this.cfg.table), this.d.log);
  }

  /** What the network subsystem found on the host that users should know (`docker info` Warnings). */
  warnings(): string[] {
    return this.d.firewall.warnings?.() ?? [];
  }

  private async startProxy(rec: NetContainer): Promise<void> {
    if (!this.cfg.userlandProxy || !rec.published) return;
    const p = rec.published;
    await this.proxy.start(rec.id, p.bindings.map((b) => ({ ...b, containerIp: p.ip })));
  }

  private async listenDns(n: NetworkRecord): Promise<void> {
    const addr = this.dnsAddress(n);
    if (!addr) return;
    await this.d.dns.listen(addr).catch((e) => this.d.log(`embedded DNS on ${addr} (network ${n.name}): ${(e as Error).message}`));
  }

  /** The embedded resolver of a user bridge network listens on its gateway. */
  private dnsAddress(n: NetworkRecord): string | undefined {
    return hasEmbeddedDns(n) && n.driver === 'bridge' && n.gateway ? n.gateway : undefined;
  }

  private newRecord(name: string, driver: NetworkRecord['driver'], predefined: boolean): NetworkRecord {
    return {
      id: newId(), name, created: new Date().toISOString(), driver, predefined, internal: false, attachable: false,
      enableIPv6: false, options: {}, labels: {}, ipamDriver: 'default', ipamOptions: {}, auxAddresses: {}, mtu: this.cfg.mtu,
      endpoints: {},
    };
  }

  private async initDefaultBridge(): Promise<void> {
    let rec = this.d.store.byName('bridge');
    const bridge = this.cfg.defaultBridge;
    const { subnet, gateway } = await planDefaultBridge({
      bip: this.cfg.bip, previous: rec, bridge, existing: this.d.store.all(), pools: this.cfg.pools, bridgeAddress: (n) => this.h.bridgeAddress(n), hostRoutes: () => this.h.hostRoutes(),
    });
    if (!rec) rec = this.newRecord('bridge', 'bridge', true);
    const changed = rec.subnet !== subnet || rec.gateway !== gateway || rec.bridge !== bridge;
    if (changed && Object.keys(rec.endpoints).length === 0) {
      Object.assign(rec, { subnet, gateway, bridge });
    }
    rec.mtu = this.cfg.mtu;
    rec.options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': String(this.cfg.icc),
      'com.docker.network.bridge.enable_ip_masquerade': String(this.cfg.ipMasq),
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': bridge,
      'com.docker.network.driver.mtu': String(this.cfg.mtu),
    };
    await this.d.store.save(rec);
    await this.ensureBridge(rec);
  }

  private async ensureBridge(n: NetworkRecord): Promise<void> {
    const name = n.bridge!;
    const exists = await this.h.exists(name);
    const address = n.gateway ? `${n.gateway}/${prefixLen(n.subnet)}` : undefined;
    await this.h.ip(bridgeScript({ name, address, mtu: n.mtu }, exists));
    // published ports reached from the host through 127.0.0.1 are DNATed onto this bridge
    if (!this.cfg.userlandProxy) await this.h.sysctl(`net.ipv4.conf.${name}.route_localnet`, '1').catch(() => undefined);
  }

  // ---------------------------------------------------------------- firewall

  firewallState(): FirewallState {
    const nets = this.d.store.all().filter((n) => n.driver === 'bridge' && n.bridge && n.subnet);
    const networks = nets.map((n) => ({
      id: n.id, bridge: n.bridge!, subnet: n.subnet!, gateway: n.gateway ?? '', internal: n.internal,
      icc: bool(n.options['com.docker.network.bridge.enable_icc'], this.cfg.icc),
      masquerade: bool(n.options['com.docker.network.bridge.enable_ip_masquerade'], this.cfg.ipMasq),
      ...(this.dnsAddress(n) ? { dns: this.dnsAddress(n) } : {}),
    }));
    const endpoints = nets.flatMap((n) => Object.values(n.endpoints).filter((e) => e.hostIface && e.ip)
      .map((e) => ({ bridge: n.bridge!, hostIface: e.hostIface, ip: e.ip, mac: e.mac })));
    // a container has `published` from prepare (before it runs) until release
    const ports = this.d.containers.all().filter((r) => r.published)
      .flatMap((r) => r.published!.bindings.map((b) => ({
        proto: b.proto, hostIp: b.hostIp, hostPort: b.hostPort, containerIp: r.published!.ip, containerPort: b.containerPort, bridge: r.published!.bridge,
      })));
    return { table: this.cfg.table, networks, endpoints, ports, loopbackDnat: !this.cfg.userlandProxy };
  }

  async applyFirewall(): Promise<void> {
    await this.d.firewall.apply(this.firewallState());
  }

  // ---------------------------------------------------------------- networks API

  list(filters: Record<string, string[]>): NetworkResource[] {
    return this.d.store.all().filter((n) => matchesFilters(n, filters)).map((n) => networkView(n, false));
  }

  inspect(ref: string): NetworkResource & { Containers: Record<string, NetworkResource['Containers'][string] & { HostInterface?: string }> } {
    const n = this.d.store.resolve(ref);
    const v = networkView(n);
    for (const e of Object.values(n.endpoints)) if (e.hostIface) Object.assign(v.Containers[e.containerId]!, { HostInterface: e.hostIface });
    return v;
  }

  async create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    checkNetworkName(req.Name);
    return this.locked('networks', async () => {
      const rec = this.newRecord(req.Name, (req.Driver || 'bridge') as NetworkRecord['driver'], false);
      const pool = await planNetworkCreate(req, rec, {
        existing: this.d.store.all(), pools: this.cfg.pools, defaultBridge: this.cfg.defaultBridge,
        hostRoutes: () => this.h.hostRoutes(), interfaceExists: (name) => this.h.exists(name),
      });
      this.pools.set(rec.id, pool);
      if (rec.bridge) await this.ensureBridge(rec);
      try {
        await this.d.store.save(rec);
        await this.applyFirewall();
      } catch (e) {
        await this.d.store.remove(rec.id);
        if (rec.bridge) await this.h.ip(`link del dev ${rec.bridge}\n`).catch(() => undefined);
        throw e;
      }
      await this.listenDns(rec);
      this.d.events.publish('network', 'create', rec.id, { name: rec.name, type: rec.driver });
      return { Id: rec.id, Warning: '' };
    });
  }

  async remove(ref: string): Promise<void> {
    const n = this.d.store.resolve(ref);
    if (n.predefined) throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    await this.settle();
    await this.locked('networks', async () => {
      if (Object.keys(n.endpoints).length) throw forbidden(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
      await this.destroy(n);
    });
  }

  private async destroy(n: NetworkRecord): Promise<void> {
    const addr = this.dnsAddress(n);
    if (addr) await this.d.dns.close(addr).catch(() => undefined);
    await this.d.store.remove(n.id);
    this.pools.delete(n.id);
    if (n.bridge && (await this.h.exists(n.bridge))) await this.h.ip(`link del dev ${n.bridge}\n`);
    await this.applyFirewall();
    this.d.events.publish('network', 'destroy', n.id, { name: n.name, type: n.driver });
  }

  async prune(filters: Record<string, string[]>): Promise<{ NetworksDeleted: string[] }> {
    const deleted: string[] = [];
    await this.settle();
    await this.locked('networks', async () => {
      for (const n of this.d.store.all()) {
        if (n.predefined || Object.keys(n.endpoints).length) continue;
        if (!matchesPruneFilters(n, filters)) continue;
        await this.destroy(n);
        deleted.push(n.name);
      }
    });
    this.d.events.publish('network', 'prune', '', { reclaimed: '0' });
    return { NetworksDeleted: deleted };
  }

  // ---------------------------------------------------------------- containers

  /**
   * The networks of a container being created, keyed by network name, from NetworkMode and
   * NetworkingConfig.EndpointsConfig (checked in endpoints.ts).
   */
  endpointsForCreate(body: ContainerCreateBody): Record<string, EndpointSettings> {
    return endpointsForCreate(body, (ref) => this.d.store.resolve(ref));
  }

  /** The networks that need an endpoint (not host/none), in the container's order. */
  private attachedNetworks(rec: NetContainer, only?: string[]): { n: NetworkRecord; ep: EndpointSettings; key: string }[] {
    const out: { n: NetworkRecord; ep: EndpointSettings; key: string }[] = [];
    for (const [key, ep] of Object.entries(rec.networks ?? {})) {
      if (only && !only.includes(key)) continue;
      const n = this.d.store.find(ep.NetworkID ?? '') ?? this.d.store.find(key);
      if (!n) throw notFound(`network ${key} not found`);
      if (n.driver === 'host' || n.driver === 'null') continue;
      out.push({ n, ep, key });
    }
    return out;
  }

  /**
   * Addresses (IPAM), endpoint records and host ports for a container about to start. Persists the
   * allocations; `release` gives them back.
   */
  async prepare(rec: NetContainer, only?: string[]): Promise<PreparedNetworking> {
    const targets = this.attachedNetworks(rec, only);
    const used = new Set(Object.values(this.d.store.all()).flatMap((n) => (n.endpoints[rec.id] ? [n.endpoints[rec.id]!.ifname] : [])));
    let index = 0;
    const nextIf = () => {
      while (used.has(`eth${index}`)) index++;
      used.add(`eth${index}`);
      return `eth${index}`;
    };
    const name = rec.name.replace(/^\//, '');
    // a release of this container still finishing (its host veths carry the same names)
    await this.releasing.get(rec.id);
    const saves: Promise<void>[] = [];
    try {
      for (const { n, ep } of targets) {
        await this.locked(n.id, async () => {
          const pool = this.pools.get(n.id);
          if (!pool) throw invalidArgument(`network ${n.name} has no address pool`);
          if (n.endpoints[rec.id]) throw forbidden(`endpoint with name ${name} already exists in network ${n.name}`);
          const ip = ep.IPAMConfig?.IPv4Address ? pool.request(ep.IPAMConfig.IPv4Address) : pool.allocate();
          const dnsNames = n.predefined ? [] : [name, ...(ep.Aliases ?? []), shortId(rec.id)].filter((v, i, a) => a.indexOf(v) === i);
          const e: EndpointRecord = {
            endpointId: newId(), containerId: rec.id, name, ifname: nextIf(),
            hostIface: n.driver === 'bridge' ? hostIfaceName(rec.id, n.id) : '',
            ip, mac: ep.MacAddress || macFromIp(ip), dnsNames, aliases: ep.Aliases ?? [], links: ep.Links ?? [],
          };
          n.endpoints[rec.id] = e;
          // written while the runtime creates the container; wire() waits for it before the process runs
          saves.push(this.d.store.save(n));
          Object.assign(ep, {
            NetworkID: n.id, EndpointID: e.endpointId, Gateway: n.driver === 'bridge' || n.gateway ? n.gateway ?? '' : '', IPAddress: ip,
            IPPrefixLen: prefixLen(n.subnet), MacAddress: e.mac, DNSNames: dnsNames.length ? dnsNames : null,
          });
        });
      }
      if (!only) await this.publish(rec);
      // the container's rules depend on nothing but its endpoints and ports, known now: they are applied
      // while the runtime creates the container, and wire() waits for them before the process runs
      const rules = Promise.all([this.applyFirewall(), ...saves]).then(() => undefined);
      rules.catch(() => undefined);
      this.earlyRules.set(rec.id, rules);
    } catch (e) {
      await Promise.allSettled(saves);
      await this.release(rec, only, true);
      throw e;
    }
    const first = targets[0];
    return {
      selfIp: first ? first.n.endpoints[rec.id]?.ip : undefined,
      links: this.legacyLinks(rec),
      // the resolver is reached through a user bridge (a macvlan child cannot talk to its host)
      embeddedDns: this.attachedNetworks(rec).some(({ n }) => this.dnsAddress(n)),
    };
  }

  /** Host ports for -p/-P, on the container's first bridge network. */
  private async publish(rec: NetContainer): Promise<void> {
    const reqs = planBindings({ exposed: rec.config.ExposedPorts, bindings: rec.hostConfig.PortBindings, publishAll: rec.hostConfig.PublishAllPorts });
    if (!reqs.length) return;
    const target = this.attachedNetworks(rec).find(({ n }) => n.driver === 'bridge' && n.endpoints[rec.id]);
    if (!target) return; // none/host/macvlan: Docker ignores -p there
    const bindings = await this.ports.allocate(rec.id, reqs, (proto, ip, port) => this.h.isPortFree(proto, ip, port));
    rec.published = { bindings, ip: target.n.endpoints[rec.id]!.ip, bridge: target.n.bridge! };
  }

  /** /etc/hosts entries for --link on the default bridge: "ip alias id name". */
  private legacyLinks(rec: NetContainer): HostEntry[] {
    const out: HostEntry[] = [];
    const bridge = this.d.store.byName('bridge');
    for (const l of rec.hostConfig.Links ?? []) {
      const [target, alias] = parseLink(l);
      const other = this.d.containers.resolve(target);
      const ip = bridge?.endpoints[other.id]?.ip;
      if (other.state.Status !== 'running' || !ip) throw invalidArgument(`cannot link to a non running container: ${other.name} AS ${rec.name}/${alias}`);
      const oname = other.name.replace(/^\//, '');
      out.push({ ip, host: [alias, shortId(other.id), oname].filter((v, i, a) => a.indexOf(v) === i).join(' ') });
    }
    return out;
  }

  /**
   * Wires the endpoints `prepare` made into the container's network namespace (its init is waiting
   * to exec): veth pairs onto bridges, macvlans onto parents, addresses, lo, the default route, the
   * 127.0.0.11 redirect, then the firewall.
   */
  async wire(rec: NetContainer, pid: number, only?: string[]): Promise<void> {
    const targets = this.attachedNetworks(rec, only).map((t) => ({ ...t, e: t.n.endpoints[rec.id]! })).filter((t) => t.e);
    const plans: AttachPlan[] = targets.map(({ n, e }) => (n.driver === 'bridge'
      ? { kind: 'veth', hostIface: e.hostIface, ifname: e.ifname, mac: e.mac, mtu: n.mtu, bridge: n.bridge! }
      : { kind: 'macvlan', parent: n.parent!, ifname: e.ifname, mac: e.mac, mtu: n.mtu, mode: n.options.macvlan_mode ?? 'bridge' }));
    const allNets = this.attachedNetworks(rec);
    const gwNet = only ? undefined : allNets.find(({ n }) => !n.internal && n.gateway);
    const gw = gwNet ? { via: gwNet.n.gateway!, dev: gwNet.n.endpoints[rec.id]!.ifname } : undefined;
    const ifaces = targets.map(({ n, e }) => ({ ifname: e.ifname, address: `${e.ip}/${prefixLen(n.subnet)}` }));
    // the embedded DNS: once per container, through its first user bridge network
    const dnsNet = allNets.find(({ n }) => this.dnsAddress(n));
    const dnsEp = dnsNet && targets.some((t) => t.n.id === dnsNet.n.id) ? dnsNet.n.endpoints[rec.id]! : undefined;
    // one request: the host ends, then the container's side (its lo, addresses, route, route_localnet)
    const links = this.h.apply([...attachOps(pid, plans), ...containerOps(pid, ifaces, gw, dnsEp ? [dnsEp.ifname] : [])]);
    const configure = dnsEp
      ? Promise.all([links, this.d.firewall.applyInNamespace(pid, dnsRedirectRuleset({ ifname: dnsEp.ifname, ip: dnsEp.ip, server: this.dnsAddress(dnsNet!.n)! }))])
      : links;
    // the host's rules (they name the host ends, which exist now) and the namespace's own setup are
    // independent: both are done before the container's process runs
    const early = this.earlyRules.get(rec.id);
    this.earlyRules.delete(rec.id);
    const [inner, rules] = await Promise.allSettled([configure, early ?? this.applyFirewall()]);
    if (inner.status === 'rejected') throw inner.reason;
    if (rules.status === 'rejected') throw rules.reason;
    if (!only) await this.startProxy(rec);
    for (const { n } of targets) this.d.events.publish('network', 'connect', n.id, { container: rec.id, name: n.name, type: n.driver });
  }

  /**
   * Undoes prepare/wire for a container that stopped (or failed to start); keeps going on errors. The
   * addresses, ports and endpoint records are given back at once; the host's side (the host ends of the
   * veths, the records on disk, the firewall) follows. For a whole container (no `only`) that follows in
   * the background, so the exit is reported without waiting for it: a new start of the same container,
   * a network's removal and the daemon's stop wait for it (`settle`); what a crash leaves behind is
   * swept by `resync` at the next start. `wait` makes the caller wait for all of it.
   */
  async release(rec: NetContainer, only?: string[], wait = false): Promise<void> {
    this.earlyRules.delete(rec.id);
    const errors: string[] = [];
    const gone: { n: NetworkRecord; e: EndpointRecord }[] = [];
    for (const n of this.d.store.all()) {
      const key = Object.keys(rec.networks ?? {}).find((k) => k === n.name || rec.networks![k]!.NetworkID === n.id);
      if (only && (!key || !only.includes(key))) continue;
      const e = n.endpoints[rec.id];
      if (!e) continue;
      if (e.ip) this.pools.get(n.id)?.release(e.ip);
      delete n.endpoints[rec.id];
      gone.push({ n, e });
      if (key) {
        const ep = rec.networks![key]!;
        Object.assign(ep, { EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, DNSNames: null, MacAddress: ep.IPAMConfig ? ep.MacAddress : '' });
      }
      this.d.events.publish('network', 'disconnect', n.id, { container: rec.id, name: n.name, type: n.driver });
    }
    if (!only) this.proxy.stop(rec.id);
    const unpublished = !only && !!rec.published;
    if (unpublished) {
      this.ports.release(rec.published!.bindings as Binding[]);
      rec.published = undefined;
    }
    if (!gone.length && !unpublished) return;
    const pid = rec.state.Pid;
    const host = (async () => {
      await Promise.all(gone.map(async ({ n, e }) => {
        try {
          if (e.hostIface && (await this.h.exists(e.hostIface))) await this.h.apply(detachOps([e.hostIface]));
          else if (!e.hostIface && only && pid) await this.h.apply([{ op: 'ns', pid }, ...detachOps([e.ifname])]).catch(() => undefined);
        } catch (err) {
          errors.push((err as Error).message);
        }
        await this.d.store.save(n).catch((err: Error) => errors.push(err.message));
      }));
      // the ruleset only changes with the container's endpoints or published ports
      await this.applyFirewall().catch((err: Error) => errors.push(err.message));
      if (errors.length) this.d.log(`network teardown of ${rec.id}: ${errors.join('; ')}`);
    })();
    if (only || wait) return host;
    const done = host.finally(() => {
      this.background.delete(done);
      if (this.releasing.get(rec.id) === done) this.releasing.delete(rec.id);
    });
    this.background.add(done);
    this.releasing.set(rec.id, done);
  }

  /** Resolves once the host side of every release is done (see `release`). */
  async settle(): Promise<void> {
    while (this.background.size) await Promise.all([...this.background]);
  }

  /** The user network a running container reaches the embedded DNS through (the first one it is wired to). */
  private dnsNetwork(rec: NetContainer): NetworkRecord | undefined {
    return this.attachedNetworks(rec).map(({ n }) => n).find((n) => this.dnsAddress(n) && n.endpoints[rec.id]);
  }


  /** NetworkSettings.Ports for inspect and `docker port`. */
  portsOf(rec: NetContainer): ReturnType<typeof portsView> {
    const exposed = { ...(rec.config.ExposedPorts ?? {}) } as Record<string, unknown>;
    for (const k of Object.keys(rec.hostConfig.PortBindings ?? {})) exposed[k] = {};
    return portsView(exposed, rec.state.Status === 'running' ? ((rec.published?.bindings ?? []) as Binding[]) : []);
  }

  /**
   * POST /networks/{id}/connect, for a container the caller holds (and persists afterwards): adds the
   * endpoint to `rec.networks` and, while it runs, wires it at once.
   */
  async connect(ref: string, rec: NetContainer, endpoint: EndpointSettings): Promise<void> {
    const n = this.d.store.resolve(ref);
    const mode = rec.hostConfig.NetworkMode ?? 'default';
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:') || MODE_NETWORKS.has(n.name)) {
      throw invalidArgument(mode.startsWith('container:') ? 'container sharing network namespace with another container or host cannot be connected to any other network'
        : 'container cannot be disconnected from host network or connected to host network');
    }
    rec.networks ??= {};
    if (rec.networks[n.name]) throw forbidden(`endpoint with name ${rec.name.replace(/^\//, '')} already exists in network ${n.name}`);
    rec.networks[n.name] = checkEndpoint(n, endpoint);
    if (rec.state.Status === 'running') {
      const before = this.dnsNetwork(rec);
      try {
        await this.prepare(rec, [n.name]);
        await this.wire(rec, rec.state.Pid, [n.name]);
      } catch (e) {
        await this.release(rec, [n.name]).catch(() => undefined);
        delete rec.networks[n.name];
        throw e;
      }
      // from the default bridge to a user network: the embedded DNS from now on (wire set up the redirect)
      if (!before && this.dnsNetwork(rec)) await switchResolvConf(rec, await this.d.hostResolvConf(), true, this.d.log);
    } else {
      this.d.events.publish('network', 'connect', n.id, { container: rec.id, name: n.name, type: n.driver });
    }
  }

  /** POST /networks/{id}/disconnect of a container the caller holds (and persists afterwards); its DNS follows (dnsconf.ts). */
  async disconnect(ref: string, rec: NetContainer): Promise<void> {
    const n = this.d.store.resolve(ref);
    if (MODE_NETWORKS.has(n.name)) throw invalidArgument('container cannot be disconnected from host network or connected to host network');
    const key = Object.keys(rec.networks ?? {}).find((k) => k === n.name || rec.networks![k]!.NetworkID === n.id);
    if (!key) throw forbidden(`container ${rec.id} is not connected to network ${n.name}`);
    if (rec.state.Status === 'running') {
      const before = this.dnsNetwork(rec);
      await this.release(rec, [key]);
      delete rec.networks![key];
      const after = this.dnsNetwork(rec);
      const e = after?.endpoints[rec.id];
      if (before && before.id !== after?.id) {
        await followDns(rec, after && e ? { ifname: e.ifname, ip: e.ip, server: this.dnsAddress(after)! } : undefined, {
          load: (pid, script) => this.d.firewall.applyInNamespace(pid, script), hostResolvConf: this.d.hostResolvConf, log: this.d.log,
        });
      }
    } else {
      this.d.events.publish('network', 'disconnect', n.id, { container: rec.id, name: n.name, type: n.driver });
    }
    delete rec.networks![key];
  }

  /** disconnect -f of a container that is gone: drops its endpoint on `ref` if one is left; false if none */
  async removeStaleEndpoint(ref: string, container: string): Promise<boolean> {
    const n = this.d.store.resolve(ref);
    const stale = Object.values(n.endpoints).find((x) => x.name === container || x.containerId.startsWith(container));
    if (!stale) return false;
    await this.locked(n.id, async () => {
      delete n.endpoints[stale.containerId];
      await this.d.store.save(n);
    });
    await this.applyFirewall();
    return true;
  }
}

