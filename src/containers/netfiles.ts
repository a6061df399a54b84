/**
 * A container's network namespace plan and its /etc/hosts, /etc/resolv.conf and /etc/hostname, for its
 * network mode: joined (container:<x>, whose files it shares), host, or its own (bridge or none).
 */
import { promises as fsp } from 'node:fs';
import { conflict } from '../core/errors.js';
import { parseNetworkMode, parseExtraHost, renderHosts, renderResolvConf } from '../network/files.js';
import type { ContainerRecord } from './record.js';
import type { ContainerDeps, NamespacePlan } from './deps.js';
import { parseLink } from '../network/links.js';
import { linkEnvVars } from './linkenv.js';

export async function networkFiles(rec: ContainerRecord, d: Pick<ContainerDeps, 'store' | 'network' | 'host'>): Promise<NamespacePlan> {
  const mode = parseNetworkMode(rec.hostConfig.NetworkMode);
  const hc = rec.hostConfig;
  const extra = (hc.ExtraHosts ?? []).map(parseExtraHost);
  let plan: NamespacePlan;
  if (mode.kind === 'container') {
    const other = d.store.resolve(mode.ref);
    if (other.state.Status !== 'running') throw conflict(`cannot join network namespace of a non running container: container ${other.id} is ${other.state.Status}`);
    plan = { net: { mode: 'path', path: `/proc/${other.state.Pid}/ns/net` }, utsHost: false };
    // Docker shares the other container's network files
    for (const [from, to] of [[other.hostsPath, rec.hostsPath], [other.resolvConfPath, rec.resolvConfPath]] as const) {
      await fsp.copyFile(from, to).catch(() => undefined);
    }
    await fsp.writeFile(rec.hostnamePath, `${rec.config.Hostname}\n`);
    return plan;
  }
  const hostNet = mode.kind === 'host';
  plan = hostNet ? { net: { mode: 'host' }, utsHost: !hc.UTSMode || hc.UTSMode === 'host' } : { net: { mode: 'new' }, utsHost: hc.UTSMode === 'host' };
  const prepared = mode.kind === 'bridge' ? await d.network.prepare(rec) : undefined;
  const names = [rec.config.Hostname ?? '', ...(rec.config.Domainname ? [`${rec.config.Hostname}.${rec.config.Domainname}`] : [])].filter(Boolean);
  const hostsText = renderHosts({
    base: hostNet ? await d.host.hosts() : undefined,
    extra: [...(prepared?.links ?? []), ...extra],
    self: prepared?.selfIp ? { ip: prepared.selfIp, names } : undefined,
  });
  const resolv = renderResolvConf(await d.host.resolvConf(), {
    dns: hc.Dns ?? undefined, search: hc.DnsSearch ?? undefined, options: hc.DnsOptions ?? undefined, ownNetns: !hostNet,
    embedded: prepared?.embeddedDns,
  });
  await fsp.writeFile(rec.hostsPath, hostsText);
  await fsp.writeFile(rec.resolvConfPath, resolv);
  await fsp.writeFile(rec.hostnamePath, `${rec.config.Hostname}\n`);
  // legacy links on the default bridge also set variables; prepare() found every link target running
  if (prepared && rec.networks?.bridge && rec.hostConfig.Links?.length) {
    plan.linkEnv = rec.hostConfig.Links.flatMap((l, i) => {
      const child = d.store.resolve(parseLink(l)[0]);
      const ip = prepared.links[i]?.ip;
      return ip ? linkEnvVars(l.slice(l.indexOf(':') + 1), ip, child.config.Env, child.config.ExposedPorts) : [];
    });
  }
  return plan;
}
