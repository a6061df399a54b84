/**
 * The builder's shared shapes, below the files that use them: what one build offers its stages
 * (BuildScope, implemented by BuildRun) and what a stage offers its steps (StepStage, by StageRun).
 */
import type { ContainerConfig, HostConfig, ImageConfigBlob } from '../api/types.js';
import type { BuildBackend, BuildImage, LayerFile } from './backend.js';
import type { BuildCache } from './cache.js';
import type { IgnoreMatcher } from '../core/dockerignore.js';
import type { ContextIndex } from './context/receive.js';
import type { Dockerfile } from './dockerfile/instructions.js';
import type { Node } from './dockerfile/parser.js';
import type { BuildOutput } from './output.js';

/** Build args every Dockerfile may use without declaring them; kept out of history and the cache. */
export const BUILTIN_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

/** A step that failed with an exit code (Docker reports it as errorDetail.code). */
export class StepError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

export interface BuildOptions {
  tags: string[];
  dockerfile: string;
  quiet: boolean;
  noCache: boolean;
  rm: boolean;
  forceRm: boolean;
  pull: boolean;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  networkMode?: string;
  extraHosts: string[];
  shmSize?: number;
  resources: Pick<HostConfig, 'Memory' | 'MemorySwap' | 'CpuShares' | 'CpusetCpus' | 'CpuPeriod' | 'CpuQuota'>;
  cacheFrom: string[];
  platform?: string;
  /** `remote`: a git or http(s) URL the daemon fetches the context from (context/remote.ts) */
  remote?: string;
  /** X-Registry-Config: registry -> auth config, for pulls */
  registryAuth: Record<string, Record<string, string>>;
  /** Berth's client: the key its context is kept under, and the kept copy it sent a delta of (client/buildcontext.ts) */
  contextKey?: string;
  contextBase?: string;
}

/** What a build offers its stages. */
export interface BuildScope {
  readonly opts: BuildOptions;
  readonly backend: BuildBackend;
  readonly cache: BuildCache;
  readonly out: BuildOutput;
  readonly contextDir: string;
  /** what the context holds, with its files' sha256 (COPY's key reads no file twice) */
  readonly contextIndex?: ContextIndex;
  /**
   * COPY's source descriptions (its cache key's part) of earlier builds of this kept context, by the
   * step's sources and options: valid while the context's content has not changed (builder.ts)
   */
  readonly contextMemo?: Map<string, string>;
  readonly tmpDir: string;
  readonly signal: AbortSignal;
  readonly df: Dockerfile;
  readonly ignore: IgnoreMatcher;
  readonly metaArgs: Map<string, string | undefined>;
  readonly consumed: Set<string>;
  readonly stepNo: Map<Node, number>;
  readonly total: number;
  readonly platform: { os: string; arch: string; variant?: string };
  stageResult(i: number): Promise<BuildImage | undefined>;
  resolveImage(ref: string, platform: string | undefined): Promise<BuildImage>;
  hostConfig(network: string | undefined, mounts: NonNullable<HostConfig['Mounts']>, tmpfs: Record<string, string>): HostConfig;
  cacheLookup(key: string, parent: string, createdBy: string, config: ContainerConfig): Promise<string | undefined>;
  track(id: string): void;
  finishContainer(id: string): Promise<void>;
  dropContainer(id: string): Promise<void>;
  withImageRoot<T>(imageId: string, fn: (root: string) => Promise<T>): Promise<T>;
}

export interface Commit {
  /** the command recorded as container_config.Cmd and, joined, as history's created_by */
  cmd: string[];
  contentHash?: string;
  /** what the cache key takes instead of `cmd` (COPY --from: the source image, not its files' hash) */
  keyCmd?: string;
  /** makes the step's layer (in a container); none: a config-only step */
  work?: () => Promise<{ layer: LayerFile; containerId: string; cmd?: string[] }>;
  /**
   * a config-only step (no `work`) on a base image: Docker's classic builder commits it from a container
   * it creates and removes (` ---> Running in`, `Removing intermediate container`, the image's
   * `container`). Berth needs no container for it: the id is new and names no container.
   */
  probe?: boolean;
}

/** What a stage offers the steps that write files or run commands. */
export interface StepStage {
  readonly run: BuildScope;
  readonly imageId: string | undefined;
  readonly img: ImageConfigBlob;
  cfg: ContainerConfig;
  shell(): string[];
  expand(s: string): string;
  commit(c: Commit): Promise<void>;
  fromSource(ref: string): Promise<BuildImage | undefined>;
  buildEnv(): { env: string[]; recorded: string[] };
}
