/**
 * The firewall around the daemon's life: while it runs, the host's other firewalls are looked at again
 * now and then (one started after Berth, as dockerd setting FORWARD to DROP, is noticed); when it stops
 * with nothing running on its networks, its tables go (with its accepts in other firewalls) and its
 * bridges stop routing to 127.0.0.0/8. The next start brings all of it back.
 */
import type { NetContainer } from './endpoint.js';
import { netExec } from './links.js';
import type { NetworkRecord } from './record.js';

/** how often the host's other firewalls are looked at again while nothing changes */
export const HOST_FIREWALL_CHECK_MS = 30_000;

/** Runs `check` every HOST_FIREWALL_CHECK_MS (the timer does not keep the process alive). */
export function watchHostFirewall(check: () => Promise<void>, log: (m: string) => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    check().catch((e: Error) => log(`host firewall check: ${e.message}`));
  }, HOST_FIREWALL_CHECK_MS);
  timer.unref();
  return timer;
}

/**
 * At shutdown: when no endpoint and no published port is left, removes the firewall (`remove`) and
 * turns route_localnet off on the bridges; otherwise leaves everything for the running containers.
 */
export async function removeIdleFirewall(networks: NetworkRecord[], containers: NetContainer[], remove: () => Promise<void>,
  log: (m: string) => void): Promise<void> {
  if (networks.some((n) => Object.keys(n.endpoints).length > 0) || containers.some((r) => r.published)) return;
  await remove().catch((e: Error) => log(`removing the firewall tables: ${e.message}`));
  for (const n of networks) {
    if (n.driver !== 'bridge' || !n.bridge || !(await netExec.exists(n.bridge))) continue;
    await netExec.sysctl(`net.ipv4.conf.${n.bridge}.route_localnet`, '0').catch(() => undefined);
  }
}
