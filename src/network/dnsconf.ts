/**
 * The embedded DNS of a running container that joins or leaves user networks (`docker network connect`
 * and `disconnect`): its /etc/resolv.conf switches between the host's servers and 127.0.0.11, and the
 * redirect of 127.0.0.11 inside its namespace follows the user network it goes through.
 */
import { promises as fsp } from 'node:fs';
import type { NetContainer } from './endpoint.js';
import { renderResolvConf } from './files.js';
import { dnsRedirectRuleset, type DnsRedirect, netExec } from './links.js';

/** resolv.conf of a container with its own network namespace, as it is written at start. */
export function resolvConfText(rec: NetContainer, hostResolvConf: string, embedded: boolean): string {
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
export async function switchResolvConf(rec: NetContainer, hostResolvConf: string, embedded: boolean, log: (m: string) => void): Promise<void> {
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

/**
 * After a disconnect of a running container from the user network its DNS went through: 127.0.0.11
 * goes through `next` (the next user network it is on), or, when there is none, the redirect goes and
 * resolv.conf gets the host's servers back. Failures are logged: the disconnect itself has happened.
 */
export async function followDns(rec: NetContainer, next: DnsRedirect | undefined, d: {
  load: (pid: number, script: string) => Promise<void>; hostResolvConf: () => Promise<string>; log: (m: string) => void;
}): Promise<void> {
  try {
    await redirectDns(rec.state.Pid, next, d.load);
    if (!next) await switchResolvConf(rec, await d.hostResolvConf(), false, d.log);
  } catch (err) {
    d.log(`embedded DNS of ${rec.id} after disconnect: ${(err as Error).message}`);
  }
}
