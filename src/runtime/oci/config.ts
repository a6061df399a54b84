/**
 * The effective container config: image config merged with the create body, as Docker's daemon does
 * (moby daemon/commit.go `merge`), and the process args and environment derived from it.
 */
import type { ContainerConfig, HealthConfig } from '../../api/types.js';
import { invalidArgument } from '../../core/errors.js';

/** The PATH Docker puts in every Linux container's environment unless the config sets one. */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const envKey = (e: string) => {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
};

function mergeHealthcheck(user: HealthConfig | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (!image) return user;
  if (!user) return { ...image };
  const out: HealthConfig = { ...user };
  if (!out.Test || out.Test.length === 0) out.Test = image.Test;
  if (!out.Interval) out.Interval = image.Interval;
  if (!out.Timeout) out.Timeout = image.Timeout;
  if (!out.StartPeriod) out.StartPeriod = image.StartPeriod;
  if (!out.StartInterval) out.StartInterval = image.StartInterval;
  if (!out.Retries) out.Retries = image.Retries;
  return out;
}

/**
 * The effective ContainerConfig of a new container. The create body wins field by field; Env, Labels,
 * ExposedPorts and Volumes are merged by key. An Entrypoint in the body (even `[]`) replaces the image's;
 * a non-empty body Entrypoint also drops the image Cmd unless the body gives its own Cmd.
 * Neither argument is modified.
 */
export function mergeConfig(image: ContainerConfig | null | undefined, body: ContainerConfig): ContainerConfig {
  const img = image ?? {};
  const out: ContainerConfig = { ...body };
  // Only Config fields travel: a create body also carries HostConfig and NetworkingConfig.
  delete (out as Record<string, unknown>)['HostConfig'];
  delete (out as Record<string, unknown>)['NetworkingConfig'];

  if (!out.User) out.User = img.User ?? '';

  const bodyPorts = body.ExposedPorts ?? {};
  if (Object.keys(bodyPorts).length === 0) {
    out.ExposedPorts = img.ExposedPorts ? { ...img.ExposedPorts } : body.ExposedPorts;
  } else {
    out.ExposedPorts = { ...bodyPorts };
    for (const p of Object.keys(img.ExposedPorts ?? {})) out.ExposedPorts[p] ??= {};
  }

  if (!body.Env || body.Env.length === 0) {
    out.Env = img.Env ? [...img.Env] : body.Env;
  } else {
    const env = [...body.Env];
    const keys = new Set(body.Env.map(envKey));
    for (const e of img.Env ?? []) if (!keys.has(envKey(e))) env.push(e);
    out.Env = env;
  }

  const labels: Record<string, string> = { ...(body.Labels ?? {}) };
  for (const [k, v] of Object.entries(img.Labels ?? {})) if (!(k in labels)) labels[k] = v;
  out.Labels = labels;

  if (!body.Entrypoint || body.Entrypoint.length === 0) {
    if (!body.Cmd || body.Cmd.length === 0) out.Cmd = img.Cmd ? [...img.Cmd] : body.Cmd;
    if (body.Entrypoint === undefined || body.Entrypoint === null) {
      out.Entrypoint = img.Entrypoint ? [...img.Entrypoint] : body.Entrypoint;
    }
  }

  const hc = mergeHealthcheck(body.Healthcheck, img.Healthcheck);
  if (hc) out.Healthcheck = hc;

  if (!out.WorkingDir) out.WorkingDir = img.WorkingDir ?? '';

  const bodyVolumes = body.Volumes ?? {};
  if (Object.keys(bodyVolumes).length === 0) {
    out.Volumes = img.Volumes ? { ...img.Volumes } : body.Volumes;
  } else {
    out.Volumes = { ...bodyVolumes, ...(img.Volumes ?? {}) };
  }

  if (!out.StopSignal) out.StopSignal = img.StopSignal;
  if (out.StopSignal === undefined) delete out.StopSignal;
  if (out.Shell === undefined && img.Shell) out.Shell = [...img.Shell];
  if (out.ArgsEscaped === undefined && img.ArgsEscaped !== undefined) out.ArgsEscaped = img.ArgsEscaped;
  return out;
}

/**
 * The argv of the container's main process: Entrypoint then Cmd. `Entrypoint: [""]` (what
 * `docker run --entrypoint ""` sends) means no entrypoint. Nothing to run is Docker's "No command specified".
 */
export function composeArgs(entrypoint: readonly string[] | null | undefined, cmd: readonly string[] | null | undefined): string[] {
  let ep = entrypoint ?? [];
  if (ep.length === 1 && ep[0] === '') ep = [];
  const args = [...ep, ...(cmd ?? [])];
  if (args.length === 0) throw invalidArgument('No command specified');
  return args;
}

/**
 * Docker's ReplaceOrAppendEnvValues: overrides replace defaults with the same key or are appended;
 * an override without "=" removes the key.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: (string | null)[] = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(envKey(e as string), i));
  for (const v of overrides) {
    const i = index.get(envKey(v));
    if (!v.includes('=')) {
      if (i !== undefined) out[i] = null;
      continue;
    }
    if (i !== undefined) out[i] = v;
    else out.push(v);
  }
  return out.filter((e): e is string => e !== null);
}

/**
 * The process environment as Docker's CreateDaemonEnvironment builds it: PATH, HOSTNAME, TERM=xterm with
 * a tty, then `extra` (link variables) and the config's Env on top.
 */
/**
 * HOME as runc's init sets it when the environment has none: the user's passwd home, "/" for a user
 * passwd does not know (crun leaves it unset then; Docker's containers always have it).
 */
export function withHome(env: readonly string[], home: string): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? [...env] : [...env, `HOME=${home}`];
}

export function containerEnv(opts: { hostname?: string; tty?: boolean; env?: readonly string[] | null; extra?: readonly string[] }): string[] {
  const base = [DEFAULT_PATH_ENV, `HOSTNAME=${opts.hostname ?? ''}`];
  if (opts.tty) base.push('TERM=xterm');
  return replaceOrAppendEnv(replaceOrAppendEnv(base, opts.extra ?? []), opts.env ?? []);
}
