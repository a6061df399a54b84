/**
 * Type checks of a create body, field by field, with Docker's message shape
 * (`json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Cmd of type []string`),
 * so a client learns which field is wrong. Unknown fields are ignored, as Docker does.
 */
import type { ContainerCreateBody } from '../api/types.js';
import { invalidArgument } from '../core/errors.js';

type Kind = 'string' | 'bool' | 'int' | '[]string' | 'map[string]string' | 'object' | 'strings' | '[]object';

const configFields: Record<string, Kind> = {
  Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'bool', AttachStdout: 'bool', AttachStderr: 'bool',
  Tty: 'bool', OpenStdin: 'bool', StdinOnce: 'bool', Env: '[]string', Cmd: 'strings', Entrypoint: 'strings', Image: 'string',
  WorkingDir: 'string', Labels: 'map[string]string', StopSignal: 'string', StopTimeout: 'int', NetworkDisabled: 'bool',
  MacAddress: 'string', ExposedPorts: 'object', Volumes: 'object', Healthcheck: 'object', Shell: '[]string',
  HostConfig: 'object', NetworkingConfig: 'object',
};

const hostFields: Record<string, Kind> = {
  Binds: '[]string', NetworkMode: 'string', AutoRemove: 'bool', Privileged: 'bool', ReadonlyRootfs: 'bool',
  Dns: '[]string', DnsOptions: '[]string', DnsSearch: '[]string', ExtraHosts: '[]string', CapAdd: '[]string',
  CapDrop: '[]string', SecurityOpt: '[]string', Memory: 'int', MemorySwap: 'int', NanoCpus: 'int', CpuShares: 'int',
  CpuQuota: 'int', CpuPeriod: 'int', PidsLimit: 'int', ShmSize: 'int', OomScoreAdj: 'int', IpcMode: 'string',
  PidMode: 'string', UTSMode: 'string', UsernsMode: 'string', CpusetCpus: 'string', Init: 'bool', PublishAllPorts: 'bool',
  Links: '[]string', VolumesFrom: '[]string', GroupAdd: '[]string', Sysctls: 'map[string]string', Tmpfs: 'map[string]string',
  RestartPolicy: 'object', LogConfig: 'object', PortBindings: 'object', Ulimits: '[]object', Mounts: '[]object', Devices: '[]object', DeviceCgroupRules: '[]string',
  ConsoleSize: 'object', BlkioWeight: 'int',
};

function goType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function ok(kind: Kind, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (kind) {
    case 'string': return typeof v === 'string';
    case 'bool': return typeof v === 'boolean';
    case 'int': return typeof v === 'number' && Number.isInteger(v);
    case '[]string': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    // Docker's StrSlice: a string or a list of strings
    case 'strings': return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    case 'map[string]string': return typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'string');
    case 'object': return typeof v === 'object';
    case '[]object': return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null);
  }
}

function check(obj: Record<string, unknown>, fields: Record<string, Kind>, struct: string): void {
  for (const [k, kind] of Object.entries(fields)) {
    if (!(k in obj) || ok(kind, obj[k])) continue;
    const want = kind === 'strings' ? 'strslice.StrSlice' : kind === 'object' || kind === '[]object' ? 'struct' : kind.replace('int', 'int64');
    throw invalidArgument(`json: cannot unmarshal ${goType(obj[k])} into Go struct field ${struct}.${k} of type ${want}`);
  }
}

export function validateCreateBody(body: unknown): ContainerCreateBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('invalid JSON: the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  check(b, configFields, 'ContainerConfigWrapper');
  if (b.HostConfig) check(b.HostConfig as Record<string, unknown>, hostFields, 'HostConfig');
  // StrSlice fields given as a string mean a one-element list
  for (const k of ['Cmd', 'Entrypoint'] as const) if (typeof b[k] === 'string') b[k] = [b[k]];
  return b as ContainerCreateBody;
}
