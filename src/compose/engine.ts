/**
 * The executor: applies a plan through the typed API client, in dependency order and in parallel within a
 * limit. Resources first (external ones checked, networks and volumes created with compose labels), then
 * per service its containers, each service waiting for its dependencies' conditions (started, healthy,
 * completed successfully). A failure names the service and the reason.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { BerthClient } from '../client/client.js';
import { ContainerFsApi } from '../client/filesystem.js';
import { DaemonError } from '../client/errors.js';
import type { ContainerCreateBody, ContainerSummary, Mount } from '../api/types.js';
import { buildImage } from './build.js';
import { containerSpec } from './containerspec.js';
import { ComposeError } from './errors.js';
import { containerLabels, containerName, L, networkLabels, projectFilter, volumeLabels } from './labels.js';
import { Limiter, PriorityGate, settleAll } from './limiter.js';
import type { Project, ServiceConfig } from './model.js';
import { containerRefsOf, numberOf, refsFrom, type Action, type Observed, type Plan } from './planner.js';
import { networkHash, serviceHash, volumeHash } from './hash.js';
import { HealthWatch } from './healthwatch.js';
import { BACKGROUND, createDependenciesOf, criticalServices, nextProbeAt, PROBE_HOLD_MS, PROBE_LEAD_MS } from './schedule.js';
import { dependenciesOf } from './references.js';

export type Progress = (kind: string, name: string, status: string) => void;

export interface EngineOptions {
  parallel: number;
  progress: Progress;
  /** seconds for stop (-t); undefined: each service's stop_grace_period or the daemon default */
  timeout?: number;
}

const isNotFound = (e: unknown) => e instanceof DaemonError && e.statusCode === 404;

export class Engine {
  readonly limit: Limiter;
  readonly fs: ContainerFsApi;
  readonly health: HealthWatch;
  /** what makes way for the chains of dependencies while `apply` runs (open outside it) */
  private gate = openGate();
  constructor(readonly client: BerthClient, readonly project: Project, readonly opts: EngineOptions) {
    this.limit = new Limiter(opts.parallel);
    this.fs = new ContainerFsApi(client.transport);
    this.health = new HealthWatch(client, project.name);
  }

  /** Every container of the project (one-offs included). */
  async containers(all = true): Promise<ContainerSummary[]> {
    return this.client.containers.list({ all, filters: projectFilter(this.project.name) });
  }

  /** Fails, before anything is created, when an external network or volume is missing. */
  async checkExternals(services: string[]): Promise<void> {
    const p = this.project;
    const used = usedResources(p, services);
    for (const key of used.networks) {
      const n = p.networks[key];
      if (!n?.external) continue;
      await this.client.networks.inspect(n.name).catch((e: unknown) => {
        if (isNotFound(e)) throw new ComposeError(`network ${n.name} declared as external, but could not be found`, { path: ['networks', key] });
        throw e;
      });
    }
    for (const key of used.volumes) {
      const v = p.volumes[key];
      if (!v?.external) continue;
      await this.client.volumes.inspect(v.name).catch((e: unknown) => {
        if (isNotFound(e)) throw new ComposeError(`external volume "${v.name}" not found`, { path: ['volumes', key] });
        throw e;
      });
    }
  }

  /** The project's networks and volumes (keys) that the given services use and the daemon lacks. */
  async missingResources(services: string[]): Promise<{ networks: string[]; volumes: string[] }> {
    const p = this.project;
    const used = usedResources(p, services);
    const absent = (look: () => Promise<unknown>) => look().then(() => false, (e: unknown) => (isNotFound(e) ? true : Promise.reject(e)));
    const [networks, volumes] = await Promise.all([
      Promise.all([...used.networks].map(async (key) => (!p.networks[key]!.external && (await absent(() => this.client.networks.inspect(p.networks[key]!.name))) ? key : undefined))),
      Promise.all([...used.volumes].map(async (key) => (!p.volumes[key]!.external && (await absent(() => this.client.volumes.inspect(p.volumes[key]!.name))) ? key : undefined))),
    ]);
    return { networks: networks.filter((k): k is string => k !== undefined), volumes: volumes.filter((k): k is string => k !== undefined) };
  }

  /** Creates the project's networks and volumes that do not exist yet (`missing`: as found before). */
  async ensureResources(services: string[], missing?: { networks: string[]; volumes: string[] }): Promise<void> {
    const p = this.project;
    const todo = missing ?? (await this.missingResources(services));
    // networks and volumes at once: nothing among them waits for another
    await settleAll([...todo.networks.map((key) => this.limit.run(async () => {
      const n = p.networks[key]!;
      this.opts.progress('Network', n.name, 'Creating');
      await this.client.networks.create({
        Name: n.name, Driver: n.driver ?? 'bridge', Options: n.driver_opts ?? {}, Internal: n.internal === true, Attachable: n.attachable === true,
        EnableIPv6: n.enable_ipv6, Labels: networkLabels(p, key, n.labels, networkHash(n)), CheckDuplicate: true,
        IPAM: n.ipam ? { Driver: n.ipam.driver ?? 'default', Options: n.ipam.options ?? {}, Config: (n.ipam.config ?? []).map((c) => ({ Subnet: c.subnet, IPRange: c.ip_range, Gateway: c.gateway, AuxiliaryAddresses: c.aux_addresses })) } : undefined,
      } as Parameters<BerthClient['networks']['create']>[0]);
      this.opts.progress('Network', n.name, 'Created');
    })), ...todo.volumes.map((key) => this.limit.run(async () => {
      const v = p.volumes[key]!;
      this.opts.progress('Volume', v.name, 'Creating');
      await this.client.volumes.create({ Name: v.name, Driver: v.driver ?? 'local', DriverOpts: v.driver_opts ?? {}, Labels: volumeLabels(p, key, v.labels, volumeHash(v)) });
      this.opts.progress('Volume', v.name, 'Created');
    }))]);
  }

  /** The image each service runs: present, pulled, or built (per pull_policy and the flags); its ID. */
  async ensureImages(services: string[], o: { build?: boolean; noBuild?: boolean; pull?: string; quiet?: boolean } = {}): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    await settleAll(services.map((name) => this.limit.run(async () => {
      const s = this.project.services[name]!;
      const image = imageOf(this.project, s);
      const policy = o.pull ?? s.pull_policy ?? 'missing';
      if (s.build && !o.noBuild && (o.build || policy === 'build')) {
        ids[name] = await this.build(s, image);
        return;
      }
      let id = await this.imageId(image);
      if ((policy === 'always' || (id === undefined && policy !== 'never')) && !(id === undefined && s.build)) {
        // services that share an image pull it once
        let pull = this.pulls.get(image);
        if (!pull) {
          pull = (async () => {
            this.opts.progress('Image', image, 'Pulling');
            for await (const m of await this.client.images.pull(image)) if (m.error) throw new ComposeError(`service "${name}": pull ${image}: ${m.error}`);
            this.opts.progress('Image', image, 'Pulled');
            return this.imageId(image, true);
          })();
          this.pulls.set(image, pull);
        }
        id = await pull;
      }
      if (id === undefined && s.build && !o.noBuild) id = await this.build(s, image);
      if (id === undefined) throw new ComposeError(`service "${name}": no such image: ${image}${policy === 'never' ? ' (pull_policy: never)' : ''}`);
      ids[name] = id;
    })));
    return ids;
  }

  /** Image IDs by reference, asked once per reference (services often share an image); pulls under way. */
  private readonly imageIds = new Map<string, Promise<string | undefined>>();
  private readonly pulls = new Map<string, Promise<string | undefined>>();

  private imageId(image: string, fresh = false): Promise<string | undefined> {
    let id = fresh ? undefined : this.imageIds.get(image);
    if (!id) {
      id = this.client.images.inspect(image).then((i) => i.Id, (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      this.imageIds.set(image, id);
    }
    return id;
  }

  async build(s: ServiceConfig, image: string): Promise<string> {
    this.opts.progress('Image', image, 'Building');
    await buildImage(this.client.transport, { tag: image, build: s.build! }, () => undefined);
    this.opts.progress('Image', image, 'Built');
    const id = await this.imageId(image, true);
    if (!id) throw new ComposeError(`service "${s.name}": build of ${image} gave no image`);
    return id;
  }

  /**
   * Applies a plan in two phases, as v2: every container is created (recreated, removed) at once, a
   * service after those it names by container (links, volumes_from, network_mode/ipc/pid service:);
   * then each service's containers start once its dependencies started and met their conditions
   * (started, healthy, completed successfully). A service with nothing to start waits for nothing.
   */
  async apply(plan: Plan, imageIds: Record<string, string>, o: { noStart?: boolean } = {}): Promise<void> {
    const p = this.project;
    // the services on a chain of dependencies go first: their creates and starts make the other services'
    // wait at the daemon, which takes only a few of those at a time until the chain has started
    const critical = o.noStart ? new Set<string>() : criticalServices(p, Object.keys(plan.services));
    const gate = (this.gate = new PriorityGate(BACKGROUND));
    if (critical.size === 0) gate.open();
    const work = (name: string, fn: () => Promise<void>) => (critical.has(name) ? gate.urgent(() => this.limit.run(fn)) : gate.later(() => this.limit.run(fn)));
    const created = new Map<string, Promise<void>>();
    const started = new Map<string, Promise<void>>();
    const create = (name: string, path: string[]): Promise<void> => memo(created, name, async () => {
      const s = p.services[name]!;
      const sp = plan.services[name]!;
      // a cycle (ipc: service:a both ways) is the daemon's to refuse
      await settleAll(createDependenciesOf(s).filter((d) => d in plan.services && !path.includes(d)).map((d) => create(d, [...path, name])));
      const hash = await this.hashNow(s, sp.hash);
      await settleAll(sp.actions.map((a) => work(name, () => this.act(s, hash, a, imageIds[name] ?? ''))));
    });
    const start = (name: string): Promise<void> => memo(started, name, async () => {
      const s = p.services[name]!;
      const deps = dependenciesOf(s).filter((d) => d in plan.services);
      await settleAll([create(name, []), ...deps.map((d) => start(d))]);
      const todo = this.toStart.get(name) ?? [];
      if (o.noStart || todo.length === 0) return;
      await settleAll(deps.map((d) => this.waitCondition(s, d)));
      await settleAll(todo.map((c) => work(name, () => this.startContainer(s, c.id, c.name))));
    });
    const release = this.health.hold();
    try {
      // once the chain has started (or failed), the rest goes at full speed
      void settleAll([...critical].map(start)).finally(() => gate.open()).catch(() => undefined);
      await settleAll(Object.keys(plan.services).map(start));
    } finally {
      gate.open();
      release();
    }
  }

  /**
   * The hash a new container gets: the planned one, unless the service shares another service's
   * container, whose ID (known only once that service converged) is part of the hash.
   */
  private async hashNow(s: ServiceConfig, planned: string): Promise<string> {
    const refs = containerRefsOf(s);
    if (refs.length === 0) return planned;
    const byService = new Map<string, Observed[]>();
    for (const c of await this.containers(true)) {
      const svc = c.Labels[L.service] ?? '';
      if (c.Labels[L.oneoff] === 'True' || !refs.includes(svc)) continue;
      byService.set(svc, [...(byService.get(svc) ?? []), c]);
    }
    return serviceHash(s, refsFrom(byService));
  }

  /** The containers each service has once `apply` has acted on it (so waits need not list them again). */
  private readonly converged = new Map<string, { id: string; name: string }[]>();

  /** The containers of each service that the start phase of `apply` starts. */
  private readonly toStart = new Map<string, { id: string; name: string }[]>();

  private record(service: string, id: string, name: string, start = false): void {
    this.converged.set(service, [...(this.converged.get(service) ?? []), { id, name }]);
    if (start) this.toStart.set(service, [...(this.toStart.get(service) ?? []), { id, name }]);
  }

  private async act(s: ServiceConfig, hash: string, a: Action, imageId: string): Promise<void> {
    const progress = this.opts.progress;
    const name = a.kind === 'create' ? containerName(this.project.name, s, a.number) : (a.container.Names[0] ?? '').replace(/^\//, '');
    try {
      switch (a.kind) {
        case 'keep':
          this.record(s.name, a.container.Id, name);
          progress('Container', name, 'Running');
          return;
        case 'start':
          this.record(s.name, a.container.Id, name, true);
          return;
        case 'remove':
          progress('Container', name, 'Stopping');
          await this.client.containers.stop(a.container.Id, { t: this.stopTimeout(s) });
          await this.client.containers.remove(a.container.Id, { force: true });
          progress('Container', name, 'Removed');
          return;
        case 'recreate': {
          // as v2: the new container is made first, under a temporary name (a failed create leaves the old
          // one as it was), with the old one's anonymous volumes; then the old one goes and the new one
          // takes its name
          progress('Container', name, 'Recreate');
          const final = containerName(this.project.name, s, a.number);
          const tmp = `${a.container.Id.slice(0, 12)}_${final}`;
          const inherited = await this.inheritedMounts(s, a.container);
          const id = await this.createContainer(s, a.number, hash, imageId, {
            name: tmp,
            replaces: `${s.container_name ?? `${s.name}-${a.number}`}`,
            body: (b) => ({ ...b, HostConfig: { ...b.HostConfig, Mounts: [...((b.HostConfig?.Mounts ?? []) as Mount[]).filter((m) => !inherited.some((i) => i.Target === m.Target)), ...inherited] } }),
          });
          await this.client.containers.stop(a.container.Id, { t: this.stopTimeout(s) }).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
          await this.client.containers.remove(a.container.Id, { force: true }).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
          await this.client.containers.rename(id, final);
          this.record(s.name, id, final, true);
          progress('Container', name, 'Recreated');
          return;
        }
        case 'create': {
          progress('Container', name, 'Creating');
          const id = await this.createContainer(s, a.number, hash, imageId);
          this.record(s.name, id, name, true);
          progress('Container', name, 'Created');
          return;
        }
      }
    } catch (err) {
      if (err instanceof ComposeError) throw err;
      throw new ComposeError(`service "${s.name}": container ${name}: ${(err as Error).message}`);
    }
  }

  private async startContainer(s: ServiceConfig, id: string, name: string): Promise<void> {
    this.opts.progress('Container', name, 'Starting');
    try {
      await this.client.containers.start(id);
    } catch (err) {
      throw new ComposeError(`service "${s.name}": container ${name}: ${(err as Error).message}`);
    }
    this.opts.progress('Container', name, 'Started');
  }

  stopTimeout(s: ServiceConfig | undefined): number | undefined {
    if (this.opts.timeout !== undefined) return this.opts.timeout;
    const g = s?.stop_grace_period as string | undefined;
    if (g === undefined) return undefined;
    return Math.round(Number(g.replace(/s$/, '')) || 10);
  }

  /** The first container's name of a service (for links, volumes_from, network_mode service:). */
  containerOf = (service: string): string | undefined => {
    const s = this.project.services[service];
    return s ? containerName(this.project.name, s, 1) : undefined;
  };

  /**
   * The volumes a recreated container keeps, as v2: the old container's volume at each path where the
   * image declares a VOLUME or the service an anonymous volume (no source).
   */
  private async inheritedMounts(s: ServiceConfig, old: Observed): Promise<Mount[]> {
    const olds = (old.Mounts ?? []).filter((m) => m.Type !== 'tmpfs');
    if (olds.length === 0) return [];
    const img = await this.client.images.inspect(imageOf(this.project, s)).catch(() => undefined);
    const imageVolumes = (img?.Config as { Volumes?: Record<string, unknown> | null } | undefined)?.Volumes ?? {};
    return olds
      .filter((m) => m.Destination in imageVolumes || (s.volumes ?? []).some((v) => v.target === m.Destination && !v.source))
      .map((m) => ({ Type: m.Type as Mount['Type'], Source: (m.Type === 'volume' ? m.Name : m.Source) ?? '', Target: m.Destination, ReadOnly: m.RW === false }));
  }

  /** Creates a container (and copies content/environment secrets and configs into it). */
  async createContainer(s: ServiceConfig, number: number, hash: string, imageId: string, over: { name?: string; oneoff?: boolean; replaces?: string; body?: (b: ContainerCreateBody) => ContainerCreateBody } = {}): Promise<string> {
    const p = this.project;
    const name = over.name ?? containerName(p.name, s, number);
    const labels = containerLabels(p, s, number, hash, imageId, over.oneoff === true);
    if (over.replaces) labels[L.replace] = over.replaces;
    let body = containerSpec({ project: p, service: { ...s, image: imageOf(p, s) }, name, labels, containerOf: this.containerOf, oneoff: over.oneoff });
    if (over.body) body = over.body(body);
    const { Id } = await this.client.containers.create(name, body, s.platform as string | undefined);
    const files = inlineFiles(p, s);
    if (files.length > 0) {
      const pack = tar.pack();
      for (const f of files) pack.entry({ name: f.target.replace(/^\/+/, ''), mode: 0o444 }, f.content);
      pack.finalize();
      await this.fs.putArchive(Id, '/', pack as unknown as Readable);
    }
    return Id;
  }

  /** Waits for `dep` to meet the condition `s` asks of it. */
  async waitCondition(s: ServiceConfig, dep: string): Promise<void> {
    const cond = s.depends_on?.[dep]?.condition ?? 'service_started';
    if (cond === 'service_started') return;
    const known = this.converged.get(dep);
    const list = known ?? (await this.containers(true)).filter((c) => c.Labels[L.service] === dep && c.Labels[L.oneoff] !== 'True').map((c) => ({ id: c.Id, name: c.Names[0]?.replace(/^\//, '') ?? c.Id }));
    await settleAll(list.map(async ({ id, name: cname }) => {
      const c = { Id: id };
      if (cond === 'service_completed_successfully') {
        const r = await this.client.containers.wait(c.Id, 'not-running');
        if (r.StatusCode !== 0) throw new ComposeError(`service "${dep}" didn't complete successfully: exit ${r.StatusCode}`);
        return;
      }
      this.opts.progress('Container', cname, 'Waiting');
      const release = this.health.hold();
      // around each probe the daemon is about to run, and from a success to the dependent's start, the
      // other services' work makes way (for PROBE_HOLD_MS at most per probe: a failing probe is no reason)
      let arm: NodeJS.Timeout | undefined;
      let urgent: (() => void) | undefined;
      try {
        // without the event stream, a short poll
        const fallback = (await this.health.open()) ? 2000 : 100;
        for (;;) {
          const changed = this.health.next(c.Id, fallback);
          const info = await this.client.containers.inspect(c.Id);
          const h = info.State.Health;
          if (!h) throw new ComposeError(`dependency failed to start: container ${cname} has no healthcheck configured`);
          if (h.Status === 'healthy') break;
          if (h.Status === 'unhealthy') throw new ComposeError(`dependency failed to start: container ${cname} is unhealthy`);
          if (!info.State.Running) throw new ComposeError(`dependency failed to start: container ${cname} exited (${info.State.ExitCode})`);
          urgent?.();
          urgent = undefined;
          clearTimeout(arm);
          const at = Math.max(nextProbeAt(info), Date.now());
          arm = setTimeout(() => { urgent = this.gate.hold(); }, at - PROBE_LEAD_MS - Date.now());
          await Promise.race([changed, new Promise((r) => setTimeout(r, at + PROBE_HOLD_MS - Date.now()).unref())]);
        }
      } finally {
        clearTimeout(arm);
        release();
        // the dependent's start (urgent itself) is under way by then
        const u = urgent;
        if (u) setImmediate(u);
      }
      this.opts.progress('Container', cname, 'Healthy');
    }));
  }

  /** Stops and removes containers, dependents first, in parallel within the limit. */
  async removeContainers(list: Observed[], o: { volumes?: boolean; stop?: boolean } = {}): Promise<void> {
    const p = this.project;
    const byService = new Map<string, Observed[]>();
    for (const c of list) {
      const svc = c.Labels[L.service] ?? '';
      byService.set(svc, [...(byService.get(svc) ?? []), c]);
    }
    // a service goes once every service that depends on it is gone
    const tasks = new Map<string, Promise<void>>();
    const dependents = (svc: string) => Object.values(p.services).filter((s) => dependenciesOf(s).includes(svc)).map((s) => s.name).filter((n) => byService.has(n) && n !== svc);
    const run = (svc: string, seen: Set<string>): Promise<void> => {
      let t = tasks.get(svc);
      if (t) return t;
      t = (async () => {
        const next = new Set(seen).add(svc);
        await settleAll(dependents(svc).filter((d) => !next.has(d)).map((d) => run(d, next)));
        await settleAll((byService.get(svc) ?? []).sort((a, b) => numberOf(a) - numberOf(b)).map((c) => this.limit.run(async () => {
          const name = c.Names[0]?.replace(/^\//, '') ?? c.Id;
          let stopError: unknown;
          if (c.State === 'running' || c.State === 'paused' || c.State === 'restarting') {
            this.opts.progress('Container', name, 'Stopping');
            // a stop that fails (the daemon gave up waiting) is no reason to keep the container: remove forces it
            await this.client.containers.stop(c.Id, { t: this.stopTimeout(p.services[svc]) }).catch((e: unknown) => (isNotFound(e) ? undefined : (stopError = e)));
            if (stopError === undefined) this.opts.progress('Container', name, 'Stopped');
          }
          if (o.stop === false) {
            if (stopError !== undefined) throw stopError;
            return;
          }
          this.opts.progress('Container', name, 'Removing');
          await this.client.containers.remove(c.Id, { force: true, v: o.volumes }).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(stopError ?? e)));
          this.opts.progress('Container', name, 'Removed');
        })));
      })();
      t.catch(() => undefined);
      tasks.set(svc, t);
      return t;
    };
    await settleAll([...byService.keys()].map((s) => run(s, new Set())));
  }
}

function openGate(): PriorityGate {
  const g = new PriorityGate(0);
  g.open();
  return g;
}

/** The task under `key`, started once. */
function memo(tasks: Map<string, Promise<void>>, key: string, fn: () => Promise<void>): Promise<void> {
  let t = tasks.get(key);
  if (!t) {
    t = fn();
    t.catch(() => undefined);
    tasks.set(key, t);
  }
  return t;
}

/** The image a service runs: its `image`, or `<project>-<service>` for a build without one. */
export function imageOf(p: Project, s: ServiceConfig): string {
  return s.image ?? `${p.name}-${s.name}`;
}

/** Networks and volumes the given services use (by their keys in the project). */
export function usedResources(p: Project, services: string[]): { networks: Set<string>; volumes: Set<string> } {
  const networks = new Set<string>();
  const volumes = new Set<string>();
  for (const n of services) {
    const s = p.services[n];
    if (!s) continue;
    if (s.network_mode === undefined) for (const k of Object.keys(s.networks ?? {})) networks.add(k);
    for (const v of s.volumes ?? []) if (v.type === 'volume' && v.source && v.source in p.volumes) volumes.add(v.source);
  }
  return { networks, volumes };
}

/** Secrets and configs whose value is inline `content` or an environment variable: copied into the container. */
function inlineFiles(p: Project, s: ServiceConfig): { target: string; content: string }[] {
  const out: { target: string; content: string }[] = [];
  for (const kind of ['secrets', 'configs'] as const) {
    for (const r of s[kind] ?? []) {
      const def = p[kind][r.source];
      if (!def || def.file) continue;
      const content = def.content ?? (def.environment ? p.environment[def.environment] ?? '' : undefined);
      if (content === undefined) continue;
      const target = r.target ? (r.target.startsWith('/') ? r.target : kind === 'secrets' ? `/run/secrets/${r.target}` : `/${r.target}`) : kind === 'secrets' ? `/run/secrets/${r.source}` : `/${r.source}`;
      out.push({ target, content });
    }
  }
  return out;
}

export const randomSuffix = (): string => randomBytes(6).toString('hex');
