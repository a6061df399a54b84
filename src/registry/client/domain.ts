/** Registry addresses as Docker names them (pure; shared by the daemon's login and the CLI's credential store). */
import { invalidArgument } from '../../core/errors.js';

export const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/** `https://index.docker.io/v1/` and friends name Docker Hub; otherwise `host[:port]` of the address. */
export function registryDomain(serverAddress: string | undefined): string {
  const s = (serverAddress ?? '').trim();
  if (s === '') return DOCKER_HUB;
  const host = s.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (host === '' || /\s/.test(host)) throw invalidArgument(`invalid registry address ${JSON.stringify(serverAddress)}`);
  return HUB_ALIASES.includes(host) ? DOCKER_HUB : host;
}
