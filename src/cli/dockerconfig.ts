/**
 * The docker CLI's own config file (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`), read
 * and written in Docker's format so that `berth login` and `docker login` share credentials: `auths` maps
 * a registry key (Docker Hub is `https://index.docker.io/v1/`, others `host[:port]`) to `{auth: base64(user:pass)}`
 * or `{identitytoken}`. Other keys in the file are kept as they are.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOCKER_HUB, registryDomain } from '../registry/client/domain.js';

export const HUB_KEY = 'https://index.docker.io/v1/';

export interface StoredAuth {
  auth?: string;
  identitytoken?: string;
  email?: string;
}

export interface DockerConfigFile {
  auths?: Record<string, StoredAuth>;
  credsStore?: string;
  [k: string]: unknown;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

export async function readConfig(file: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  if (text.trim() === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as DockerConfigFile;
  } catch (e) {
    throw new Error(`loading config file: ${file}: ${(e as Error).message}`);
  }
}

/** Writes the file atomically with mode 0600 (it holds credentials). */
export async function writeConfig(file: string, cfg: DockerConfigFile): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
  await fsp.rename(tmp, file);
}

/** The key a registry's credentials are stored under. */
export function authKey(domain: string): string {
  return registryDomain(domain) === DOCKER_HUB ? HUB_KEY : domain;
}

/** The `domain` of a `docker login [SERVER]` operand (scheme and path dropped; Hub's aliases folded). */
export function serverDomain(server: string | undefined): string {
  return registryDomain(server);
}

/** `X-Registry-Auth` for a registry from the stored credentials (base64url JSON), or undefined. */
export function encodedAuthFor(cfg: DockerConfigFile, domain: string): string | undefined {
  const key = authKey(domain);
  const entry = cfg.auths?.[key] ?? (key === HUB_KEY ? undefined : cfg.auths?.[`https://${key}`] ?? cfg.auths?.[`http://${key}`]);
  if (!entry) return undefined;
  const out: Record<string, string> = { serveraddress: key };
  if (entry.auth) {
    const s = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = s.indexOf(':');
    if (i > 0) {
      out.username = s.slice(0, i);
      out.password = s.slice(i + 1);
    }
  }
  if (entry.identitytoken) out.identitytoken = entry.identitytoken;
  return encodeAuth(out);
}

export function encodeAuth(a: Record<string, string>): string {
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}
