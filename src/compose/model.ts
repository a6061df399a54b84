/**
 * The normalized Compose model: what the loader produces after merging, interpolation, `extends`,
 * `include` and profiles, with every short syntax turned into its long form (this is what `config`
 * prints). Field names are the specification's.
 */

export interface PortConfig {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: string;
  mode: string;
  name?: string;
  app_protocol?: string;
}

export interface VolumeMount {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'image';
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: string };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number | string; mode?: number };
}

export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  restart?: boolean;
  required: boolean;
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  mac_address?: string;
  priority?: number;
  link_local_ips?: string[];
  driver_opts?: Record<string, string>;
}

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  labels?: Record<string, string>;
  network?: string;
  cache_from?: string[];
  no_cache?: boolean;
  pull?: boolean;
  shm_size?: number | string;
  extra_hosts?: Record<string, string>;
  tags?: string[];
  platforms?: string[];
}

export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number | string;
}

export interface ServiceConfig {
  name: string;
  image?: string;
  build?: BuildConfig;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  env_file?: { path: string; required: boolean; format?: string }[];
  labels?: Record<string, string>;
  ports?: PortConfig[];
  expose?: string[];
  volumes?: VolumeMount[];
  volumes_from?: string[];
  networks?: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  depends_on?: Record<string, DependsOn>;
  healthcheck?: Healthcheck;
  deploy?: { replicas?: number; resources?: { limits?: Record<string, unknown>; reservations?: Record<string, unknown> }; [k: string]: unknown };
  scale?: number;
  profiles?: string[];
  restart?: string;
  container_name?: string;
  secrets?: FileReference[];
  configs?: FileReference[];
  extra_hosts?: Record<string, string>;
  pull_policy?: string;
  [key: string]: unknown;
}

export interface NetworkConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: { driver?: string; config?: { subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }[]; options?: Record<string, string> };
  internal?: boolean;
  attachable?: boolean;
  enable_ipv6?: boolean;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface VolumeConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface SecretConfig {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
}

export interface Project {
  name: string;
  /** the project directory (absolute) */
  workingDir: string;
  /** the Compose files, absolute, in the order they were merged */
  configFiles: string[];
  /** env files used for interpolation (absolute) */
  envFiles: string[];
  services: Record<string, ServiceConfig>;
  /** services that exist but whose profiles are not active */
  disabled: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, SecretConfig>;
  configs: Record<string, SecretConfig>;
  /** the environment used for interpolation (.env overridden by the process environment) */
  environment: Record<string, string>;
}
