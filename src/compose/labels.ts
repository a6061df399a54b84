/**
 * The labels docker compose v2 puts on what it creates, so docker-compose v1, docker compose v2 and
 * `berth compose` find and manage the same project; and the names it gives containers.
 */
import type { DependsOn, Project, ServiceConfig } from './model.js';

export const L = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  hash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  replace: 'com.docker.compose.replace',
} as const;

/** The compose version Berth reports in labels and `version` (the v2 behaviour it follows). */
export const COMPOSE_VERSION = '2.40.3';

/** `proj-web-1` (v2's separator); container_name wins for a single container. */
export function containerName(project: string, service: ServiceConfig, number: number): string {
  if (typeof service.container_name === 'string' && service.container_name !== '') return service.container_name;
  return `${project}-${service.name}-${number}`;
}

/** `proj-web-run-0a1b2c3d4e5f` for one-off containers. */
export function oneoffName(project: string, service: string, suffix: string): string {
  return `${project}-${service}-run-${suffix}`;
}

/** v2's depends_on label: `db:service_healthy:false,cache:service_started:false` */
export function dependsOnLabel(deps: Record<string, DependsOn> | undefined): string {
  return Object.entries(deps ?? {}).map(([n, d]) => `${n}:${d.condition}:${d.restart === true}`).join(',');
}

export function projectFilter(project: string, extra: string[] = []): Record<string, string[]> {
  return { label: [`${L.project}=${project}`, ...extra] };
}

export function containerLabels(p: Project, s: ServiceConfig, number: number, hash: string, imageId: string, oneoff = false): Record<string, string> {
  const labels: Record<string, string> = {
    ...(s.labels ?? {}),
    [L.project]: p.name,
    [L.service]: s.name,
    [L.number]: String(number),
    [L.oneoff]: oneoff ? 'True' : 'False',
    [L.hash]: hash,
    [L.workingDir]: p.workingDir,
    [L.configFiles]: p.configFiles.join(','),
    [L.dependsOn]: dependsOnLabel(s.depends_on),
    [L.image]: imageId,
    [L.version]: COMPOSE_VERSION,
  };
  if (p.envFiles.length > 0) labels[L.environmentFile] = p.envFiles.join(',');
  return labels;
}

export function networkLabels(p: Project, key: string, own: Record<string, string> | undefined, hash: string): Record<string, string> {
  return { ...(own ?? {}), [L.hash]: hash, [L.network]: key, [L.project]: p.name, [L.version]: COMPOSE_VERSION };
}

export function volumeLabels(p: Project, key: string, own: Record<string, string> | undefined, hash: string): Record<string, string> {
  return { ...(own ?? {}), [L.hash]: hash, [L.volume]: key, [L.project]: p.name, [L.version]: COMPOSE_VERSION };
}
