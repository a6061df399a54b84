/**
 * The narrow interfaces the container lifecycle depends on (images, snapshots, runtime spec, network,
 * volumes, cgroups, health), each implemented by its subsystem and wired in src/daemon/main.ts.
 */
import type { ResolvedLogConfig } from '../runtime/logs/index.js';
import type { Readable } from 'node:stream';
import type { ContainerConfig, ContainerCreateBody, EndpointSettings } from '../api/types.js';
import type { EventBus } from '../core/events.js';
import type { ResolvedImage } from '../images/service.js';
import type { Runtime } from '../runtime/runtime.js';
import type { RuntimeNeeds } from '../runtime/set.js';
import type { BindSpec } from '../runtime/oci/generate.js';
import type { MountPlan } from '../volumes/mounts.js';
import type { ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';
import type { KernelNamespaces } from './namespaces.js';
import type { Probe } from './health.js';
import type { NamespaceDefaults } from './namespaces.js';

/** An image as a container is made from it (the image service's type). */
export type { ResolvedImage };

/** The narrow part of the image store containers need. */
export interface ImageResolver {
  resolveImage(ref: string): ResolvedImage;
}

/** The narrow part of the snapshotter containers need. */
export interface RootfsProvider {
  prepare(key: string, layers: string[]): Promise<{ rootfs: string }>;
  unmount(key: string): Promise<void>;
  remove(key: string): Promise<void>;
}

/** Where this container's namespaces come from, for the spec builder (pid, ipc and /dev/shm: namespaces.ts). */
export interface NamespacePlan extends Partial<KernelNamespaces> {
  net: { mode: 'new' } | { mode: 'host' } | { mode: 'path'; path: string };
  utsHost: boolean;
  /** the variables of legacy links (linkenv.ts), before the container's own Env */
  linkEnv?: string[];
}

/** What the spec gets from the container's mounts. */
export interface SpecMounts {
  binds: BindSpec[];
  tmpfs: Record<string, string>;
  /** set when a bind needs shared or slave propagation */
  rootfsPropagation?: 'rshared' | 'rslave';
}

/** The container's mounts, as the volumes subsystem provides them. */
export interface ContainerVolumes {
  /** plans the mounts of a new container and creates the volumes it names (InvalidArgument on bad specs) */
  attach(body: ContainerCreateBody, imageVolumes: string[], mountsOf: (ref: string) => MountPlan[]): Promise<MountPlan[]>;
  /** mounts and fills the volumes before start; returns what the spec binds and the tmpfs it mounts */
  setUp(plans: MountPlan[], id: string, rootfs: string): Promise<SpecMounts>;
  tearDown(plans: MountPlan[], id: string): Promise<void>;
  removeAnonymous(plans: MountPlan[], id: string): Promise<void>;
}

/** The container's cgroup, as src/runtime/cgroups provides it. */
export interface ContainerCgroups {
  /** Docker's resource checks (InvalidArgument with its texts) and defaults; the resources to store, and warnings */
  check(hc: Record<string, unknown>, update?: boolean): { warnings: string[]; resources: Record<string, unknown> };
  /** whether the container's cgroup saw an OOM kill (call before `runc delete` removes it) */
  oomKilled(id: string): Promise<boolean>;
  /** applies resources to a running container (runc update) */
  apply(id: string, resources: Record<string, unknown>): Promise<void>;
  /** the stored resources after an update body (Conflict with Docker's texts) */
  merge(current: Record<string, unknown>, update: Record<string, unknown>): Record<string, unknown>;
}

export interface SpecBuilder {
  /** throws Docker's error for unknown capabilities or security options (at create, so nothing is made) */
  validateSecurity(hc: NonNullable<ContainerCreateBody['HostConfig']>): void;
  /** throws Docker's error for bad sysctls, devices or device cgroup rules (at create); returns warnings */
  validateKernelSettings(hc: NonNullable<ContainerCreateBody['HostConfig']>): string[];
  mergeConfig(image: ContainerConfig | undefined, body: ContainerCreateBody): ContainerConfig;
  composeArgs(entrypoint: string[] | null | undefined, cmd: string[] | null | undefined): string[];
  /** renders the OCI config.json (as text) for a container about to start */
  build(rec: ContainerRecord, ctx: { rootfs: string; namespaces: NamespacePlan; mounts?: SpecMounts }): Promise<string>;
}

export interface HostFiles {
  hosts(): Promise<string>;
  resolvConf(): Promise<string>;
  hostname(): string;
}

export interface ContainerDeps {
  store: ContainerStore;
  images: ImageResolver;
  rootfs: RootfsProvider;
  runtime: Runtime;
  /** the runtime names a container may ask for (HostConfig.Runtime): the default, or Docker's error */
  runtimes?: { pick(requested: string | undefined, needs?: RuntimeNeeds): string };
  events: EventBus;
  spec: SpecBuilder;
  host: HostFiles;
  /** this daemon's exec root: bundles live in <execRoot>/c */
  execRoot: string;
  network: ContainerNetworking;
  volumes?: ContainerVolumes;
  cgroups?: ContainerCgroups;
  /** runs the health probes (src/containers/health.ts) */
  health?: { watch(id: string, probe: Probe): void; unwatch(id: string): void };
  log?: (msg: string) => void;
  /** daemon.json's default-ipc-mode and default-shm-size (Docker's private and 64 MB when absent) */
  namespaceDefaults?: NamespaceDefaults;
  /** daemon.json log-driver / log-opts: what a create's LogConfig is merged with (json-file when absent) */
  logDefaults?: ResolvedLogConfig;
}

/** What the lifecycle asks of the network subsystem (src/network/service.ts). */
export interface ContainerNetworking {
  /** validated networks of a new container, by network name */
  endpointsForCreate(body: ContainerCreateBody): Record<string, EndpointSettings>;
  /** addresses and host ports for a container about to start (persisted on the network records) */
  prepare(rec: ContainerRecord): Promise<{ selfIp?: string; links: { host: string; ip: string }[]; embeddedDns: boolean }>;
  /** wires the container's own network namespace once its init exists and before it runs */
  wire(rec: ContainerRecord, pid: number): Promise<void>;
  /** undoes prepare and wire (the container stopped, or its start failed) */
  release(rec: ContainerRecord): Promise<void>;
  /** adds an endpoint to `rec.networks` (wired at once while it runs); the caller persists rec */
  connect(network: string, rec: ContainerRecord, endpoint: EndpointSettings): Promise<void>;
  /** removes the endpoint on `network` from `rec.networks` (unwired while it runs); the caller persists rec */
  disconnect(network: string, rec: ContainerRecord): Promise<void>;
  /** disconnect -f of a container that is gone: false when `network` has no endpoint of it */
  removeStaleEndpoint(network: string, container: string): Promise<boolean>;
}

/** Where an attach session sends output; `close` ends the client's stream. */
export interface AttachSink {
  output(stream: 'stdout' | 'stderr', data: Buffer): void;
  close(): void;
  input?: Readable;
  /** registers what to do when the client goes away */
  onGone?(cb: () => void): void;
}

export interface AttachRequest { stdin: boolean; stdout: boolean; stderr: boolean }
