/** Where the daemon listens: `-H`, then BERTH_HOST, then DOCKER_HOST, then the default socket. */

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';
export const API_VERSION = '1.47';

export interface HostEnv {
  BERTH_HOST?: string;
  DOCKER_HOST?: string;
}

export function resolveHost(flag: string | undefined, env: HostEnv): string {
  return flag || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

/** The socket path of a `unix://` host (a bare absolute path is accepted too). */
export function socketPathOf(host: string): string {
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  throw new Error(`unsupported host: ${host} (only unix:// sockets are supported)`);
}
