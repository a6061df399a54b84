/**
 * Relative paths in a Compose file are relative to that file's project directory: they are made
 * absolute per file, before files are merged or extended, so each keeps its own base.
 */
import os from 'node:os';
import path from 'node:path';
import { splitVolumeSpec } from './merge.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function resolveHostPath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(base, p);
}

/** A build context that is a URL (git, http) stays as it is. */
function isRemote(ctx: string): boolean {
  return /^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(ctx) || ctx.includes('.git#');
}

function isHostPath(src: string): boolean {
  return src.startsWith('.') || src.startsWith('/') || src.startsWith('~');
}

function resolveVolume(v: unknown, base: string): unknown {
  if (typeof v === 'string') {
    const parts = splitVolumeSpec(v);
    if (parts.length >= 2 && isHostPath(parts[0]!)) return [resolveHostPath(parts[0]!, base), ...parts.slice(1)].join(':');
    return v;
  }
  if (isObj(v) && v.type === 'bind' && typeof v.source === 'string') return { ...v, source: resolveHostPath(v.source, base) };
  return v;
}

function resolveEnvFile(v: unknown, base: string): unknown {
  if (typeof v === 'string') return resolveHostPath(v, base);
  if (Array.isArray(v)) return v.map((e) => resolveEnvFile(e, base));
  if (isObj(v) && typeof v.path === 'string') return { ...v, path: resolveHostPath(v.path, base) };
  return v;
}

function resolveService(svc: Obj, base: string): Obj {
  const out: Obj = { ...svc };
  if (typeof out.build === 'string') out.build = isRemote(out.build) ? out.build : resolveHostPath(out.build, base);
  else if (isObj(out.build)) {
    const ctx = typeof out.build.context === 'string' ? out.build.context : '.';
    out.build = { ...out.build, context: isRemote(ctx) ? ctx : resolveHostPath(ctx, base) };
  }
  if (out.env_file !== undefined) out.env_file = resolveEnvFile(out.env_file, base);
  if (out.label_file !== undefined) out.label_file = resolveEnvFile(out.label_file, base);
  if (Array.isArray(out.volumes)) out.volumes = out.volumes.map((v) => resolveVolume(v, base));
  if (isObj(out.extends) && typeof out.extends.file === 'string') out.extends = { ...out.extends, file: resolveHostPath(out.extends.file, base) };
  return out;
}

/** A new file value whose relative paths are absolute against `base`. */
export function resolvePaths(data: Obj, base: string): Obj {
  const out: Obj = { ...data };
  if (isObj(out.services)) {
    const services: Obj = {};
    for (const [name, svc] of Object.entries(out.services)) services[name] = isObj(svc) ? resolveService(svc, base) : svc;
    out.services = services;
  }
  for (const key of ['secrets', 'configs']) {
    const m = out[key];
    if (!isObj(m)) continue;
    const r: Obj = {};
    for (const [name, def] of Object.entries(m)) r[name] = isObj(def) && typeof def.file === 'string' ? { ...def, file: resolveHostPath(def.file, base) } : def;
    out[key] = r;
  }
  return out;
}
