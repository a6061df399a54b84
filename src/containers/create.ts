/**
 * A new container's record from a create body: every check Docker makes at create (name, network
 * mode, links, security options, kernel settings, restart policy, health check, resources), the image's
 * config merged in, and the volumes planned. Nothing is persisted here: the service saves the record.
 */
import path from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { generateName, newId, validContainerName } from '../core/ids.js';
import { parseExtraHost, parseNetworkMode } from '../network/files.js';
import { normalizeLink } from '../network/links.js';
import type { ContainerDeps } from './deps.js';
import { checkHealthConfig } from './health.js';
import { adaptNamespaceModes, validateNamespaceModes } from './namespaces.js';
import { initialState, type ContainerRecord } from './record.js';
import { checkRestartPolicy } from './restart.js';
import { validateCreateBody } from './validate.js';
import { mergeLogConfig, DEFAULT_LOG_DRIVER } from '../runtime/logs/index.js';
import { asksSharedPropagation } from '../volumes/mounts.js';

const nowIso = () => new Date().toISOString();

export async function newRecord(d: ContainerDeps, name: string | undefined, body: unknown): Promise<{ rec: ContainerRecord; warnings: string[] }> {
  const b = validateCreateBody(body);
  if (!b.Image) throw invalidArgument('config cannot be empty in order to create a container');
  const netMode = parseNetworkMode(b.HostConfig?.NetworkMode);
  if (netMode.kind === 'container') d.store.resolve(netMode.ref);
  const networks = d.network.endpointsForCreate(b);
  const links = (b.HostConfig?.Links ?? []).map((l) => normalizeLink(l));
  for (const l of links) d.store.resolve(l.split(':')[0].slice(1));
  for (const h of b.HostConfig?.ExtraHosts ?? []) parseExtraHost(h);
  if (name !== undefined && name !== '' && !validContainerName.test(name)) {
    throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  d.spec.validateSecurity(b.HostConfig ?? {});
  validateNamespaceModes(b, b.HostConfig ?? {});
  const kernelWarnings = d.spec.validateKernelSettings(b.HostConfig ?? {});
  const policyErr = checkRestartPolicy(b.HostConfig?.RestartPolicy, !!b.HostConfig?.AutoRemove) ?? checkHealthConfig(b.Healthcheck);
  if (policyErr) throw policyErr;
  // as Docker: the default runtime when none is asked for, 'Unknown runtime specified' for a name not configured
  // docker-py's create_container(runtime=) sends it at the top level, where Docker ignores it: honoured here
  const requestedRuntime = b.HostConfig?.Runtime || (typeof (b as { Runtime?: unknown }).Runtime === 'string' ? (b as { Runtime: string }).Runtime : undefined);
  const runtimeName = d.runtimes?.pick(requestedRuntime, { sharedPropagation: asksSharedPropagation(b.HostConfig ?? {}) });
  const checked = d.cgroups?.check({ ...(b.HostConfig ?? {}) });
  const logConfig = mergeLogConfig(b.HostConfig?.LogConfig, d.logDefaults ?? { Type: DEFAULT_LOG_DRIVER, Config: {} });
  const image = d.images.resolveImage(b.Image);
  const config = d.spec.mergeConfig(image.config.config, b);
  config.Image = b.Image;
  const args = d.spec.composeArgs(config.Entrypoint, config.Cmd);
  if (args.length === 0) throw invalidArgument('no command specified');
  const mounts = d.volumes
    ? await d.volumes.attach(b, Object.keys(config.Volumes ?? {}), (ref) => d.store.resolve(ref).mounts ?? [])
    : undefined;
  const id = newId();
  const fullName = `/${name || generateName((n) => d.store.nameTaken(n))}`.replace(/^\/\//, '/');
  d.store.claimName(fullName, id);
  const dir = d.store.dir(id);
  const hostConfig = { ...b.HostConfig, ...(checked?.resources ?? {}), ...adaptNamespaceModes(b.HostConfig ?? {}, (ref) => d.store.find(ref)?.id, d.namespaceDefaults), NetworkMode: b.HostConfig?.NetworkMode || 'default', LogConfig: logConfig, ...(runtimeName ? { Runtime: runtimeName } : {}), ...(links.length ? { Links: links.map((l) => l.replace('/NAME/', `${fullName}/`)) } : {}) };
  if (!config.Hostname) config.Hostname = netMode.kind === 'host' ? d.host.hostname() : id.slice(0, 12);
  const rec: ContainerRecord = {
    id, name: fullName, created: nowIso(), path: args[0], args: args.slice(1), config, hostConfig, image: image.id,
    state: initialState(), restartCount: 0, hasBeenStarted: false, manuallyStopped: false,
    logPath: path.join(dir, `${id}-json.log`), hostnamePath: path.join(dir, 'hostname'), hostsPath: path.join(dir, 'hosts'),
    resolvConfPath: path.join(dir, 'resolv.conf'), layers: image.layers, networks,
    ...(mounts && mounts.length ? { mounts } : {}),
  };
  return { rec, warnings: [...(checked?.warnings ?? []), ...kernelWarnings] };
}
