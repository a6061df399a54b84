/**
 * The embedded DNS of a running container that joins or leaves user networks (`docker network connect`
 * and `disconnect`): its /etc/resolv.conf switches between the host's servers and 127.0.0.11, and the
 * redirect of 127.0.0.11 inside its namespace follows the user network it goes through.
 */
import { promises as fsp } from 'node:fs';
import type { ContainerRecord } from '../containers/record.js';
import { renderResolvConf } from './files.js';
import { dnsRedirectRuleset, type DnsRedirect, netExec } from './links.js';

/** resolv.conf of a container with its own network namespace, as it is written at start. */
export function resolvConfText(rec: ContainerRecord, hostResolvConf: string, embedded: boolean): string {
  const hc = rec.hostConfig;
  return renderResolvConf(hostResolvConf, {
    dns: hc.Dns ?? undefined, search: hc.DnsSearch ?? undefined, options: hc.DnsOptions ?? undefined, ownNetns: true, embedded,
  });
}

/**
 * Rewrites the container's resolv.conf for `embedded`, in place (it is bind-mounted: the inode stays).
 * Left alone when its content is not what Berth wrote for the other case: someone changed it (Docker
 * too leaves a resolv.conf it did not write).
 */
export async function switchResolvConf(rec: ContainerRecord, hostResolvConf: string, embedded: boolean, log: (m: string) => void): Promise<void> {
  if (!rec.resolvConfPath) return;
  const current = await fsp.readFile(rec.resolvConfPath, 'utf8').catch(() => undefined);
  if (current === undefined) return;
  const next = resolvConfText(rec, hostResolvConf, embedded);
  if (current === next) return;
  if (current !== resolvConfText(rec, hostResolvConf, !embedded)) {
    log(`resolv.conf of ${rec.id} was changed in the container: left as it is`);
    return;
  }
  await fsp.writeFile(rec.resolvConfPath, next);
}

/**
 * Points 127.0.0.11 inside the container's namespace at `to`, or removes the redirect; `load` puts an
 * nft script into the namespace of `pid` (the firewall executor's applyInNamespace).
 */
export async function redirectDns(pid: number, to: DnsRedirect | undefined, load: (pid: number, script: string) => Promise<void>): Promise<void> {
  const reset = 'table ip berth_dns {}\ndelete table ip berth_dns\n';
  if (to) await netExec.sysctl(`net.ipv4.conf.${to.ifname}.route_localnet`, '1', pid);
  await load(pid, to ? `${reset}${dnsRedirectRuleset(to)}` : reset);
}
