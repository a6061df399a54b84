/**
 * `docker import --change` / `docker commit --change`: applies Dockerfile instructions to a container
 * config, as moby's dockerfile.BuildFromConfig does for the instructions it allows. Pure.
 */
import type { ContainerConfig, HealthConfig } from '../api/types.js';
import { invalidArgument } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';

const ALLOWED = new Set(['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/** Splits shell-like words, honouring single/double quotes and backslash escapes. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw invalidArgument(`unterminated quote in ${JSON.stringify(s)}`);
  if (inWord) words.push(cur);
  return words;
}

/** `k=v k2="v 2"` or the legacy `k v with spaces`. */
function parseNameValues(instr: string, rest: string): [string, string][] {
  const first = rest.split(/\s+/, 1)[0] ?? '';
  if (!first.includes('=')) {
    const m = /^(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw invalidArgument(`${instr} requires at least one argument`);
    return [[m[1]!, m[2]!.trim()]];
  }
  return splitWords(rest).map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalidArgument(`${instr} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(rest);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

export { parseDuration };

function healthcheck(rest: string): HealthConfig {
  const words = rest.split(/\s+/);
  const hc: HealthConfig = {};
  let i = 0;
  for (; i < words.length && words[i]!.startsWith('--'); i++) {
    const [flag, value = ''] = words[i]!.slice(2).split('=', 2) as [string, string?];
    if (flag === 'interval') hc.Interval = parseDuration(value);
    else if (flag === 'timeout') hc.Timeout = parseDuration(value);
    else if (flag === 'start-period') hc.StartPeriod = parseDuration(value);
    else if (flag === 'start-interval') hc.StartInterval = parseDuration(value);
    else if (flag === 'retries') hc.Retries = Number.parseInt(value, 10);
    else throw invalidArgument(`unknown flag: ${flag}`);
  }
  const cmd = words.slice(i).join(' ');
  const kind = cmd.split(/\s+/, 1)[0]!.toUpperCase();
  const args = cmd.slice(kind.length).trim();
  if (kind === 'NONE') {
    if (args !== '' || i > 0) throw invalidArgument("HEALTHCHECK NONE takes no arguments");
    return { Test: ['NONE'] };
  }
  if (kind !== 'CMD') throw invalidArgument(`Unknown type ${JSON.stringify(kind)} in HEALTHCHECK (try CMD)`);
  const json = jsonArray(args);
  hc.Test = json ? ['CMD', ...json] : ['CMD-SHELL', args];
  return hc;
}

/** Expands `80`, `80/udp`, `8000-8002/tcp` into `port/proto` keys. */
function exposedPorts(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
    if (!m) throw invalidArgument(`invalid containerPort: ${w}`);
    const start = Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : start;
    if (start > 65535 || end > 65535 || end < start) throw invalidArgument(`invalid containerPort: ${w}`);
    for (let p = start; p <= end; p++) out.push(`${p}/${(m[3] ?? 'tcp').toLowerCase()}`);
  }
  return out;
}

/** Returns a new config with the `changes` (one or more Dockerfile lines each) applied to `base`. */
export function applyChanges(base: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const cfg: ContainerConfig = structuredClone(base);
  let cmdSet = false;
  const lines = changes.flatMap((c) => c.split('\n')).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) {
    const m = /^(\S+)\s*(.*)$/s.exec(line)!;
    const instr = m[1]!.toLowerCase();
    const rest = m[2]!.trim();
    if (!ALLOWED.has(instr)) throw invalidArgument(`${instr} is not a valid change command`);
    if (rest === '' && instr !== 'cmd' && instr !== 'entrypoint') throw invalidArgument(`${instr.toUpperCase()} requires at least one argument`);
    switch (instr) {
      case 'cmd':
      case 'entrypoint': {
        const args = jsonArray(rest) ?? (rest === '' ? [] : ['/bin/sh', '-c', rest]);
        if (instr === 'cmd') {
          cfg.Cmd = args;
          cmdSet = true;
        } else {
          cfg.Entrypoint = args;
          if (!cmdSet) cfg.Cmd = null;
        }
        break;
      }
      case 'env': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of parseNameValues('ENV', rest)) {
          const i = env.findIndex((e) => e.split('=', 1)[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'label':
        cfg.Labels = { ...(cfg.Labels ?? {}), ...Object.fromEntries(parseNameValues('LABEL', rest)) };
        break;
      case 'expose':
        cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of exposedPorts(splitWords(rest))) cfg.ExposedPorts[p] = {};
        break;
      case 'volume':
        cfg.Volumes = { ...(cfg.Volumes ?? {}) };
        for (const v of jsonArray(rest) ?? splitWords(rest)) {
          if (v.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
          cfg.Volumes[v] = {};
        }
        break;
      case 'workdir': {
        const cur = cfg.WorkingDir || '/';
        const joined = rest.startsWith('/') ? rest : `${cur.replace(/\/$/, '')}/${rest}`;
        const parts: string[] = [];
        for (const p of joined.split('/')) {
          if (p === '..') parts.pop();
          else if (p !== '' && p !== '.') parts.push(p);
        }
        cfg.WorkingDir = '/' + parts.join('/');
        break;
      }
      case 'user':
        cfg.User = rest;
        break;
      case 'stopsignal':
        cfg.StopSignal = rest;
        break;
      case 'onbuild':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest];
        break;
      case 'healthcheck':
        cfg.Healthcheck = healthcheck(rest);
        break;
    }
  }
  return cfg;
}
