/**
 * The service config hash (label com.docker.compose.config-hash), computed as docker compose v2 does:
 * the SHA-256 of the JSON of the resolved service without what must not cause a recreate (build,
 * pull_policy, scale and deploy.replicas, depends_on, profiles, env_file: its values are in environment
 * already, so a changed env-file path alone changes nothing). Keys are sorted, so the hash does not
 * depend on the order attributes were written or merged in.
 */
import { createHash } from 'node:crypto';
import type { ServiceConfig } from './model.js';

const IGNORED = new Set(['build', 'pull_policy', 'scale', 'depends_on', 'profiles', 'env_file']);

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

/** What the hash covers, as a plain value. */
export function hashedConfig(s: ServiceConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (!IGNORED.has(k)) o[k] = v;
  if (s.deploy && typeof s.deploy === 'object') {
    const { replicas: _r, ...deploy } = s.deploy;
    o.deploy = Object.keys(deploy).length > 0 ? deploy : undefined;
  }
  return o;
}

export function serviceHash(s: ServiceConfig): string {
  return createHash('sha256').update(JSON.stringify(canonical(hashedConfig(s)))).digest('hex');
}
