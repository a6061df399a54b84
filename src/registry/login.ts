/**
 * `POST /auth` (docker login): checks credentials against a registry without storing them (the CLI
 * keeps them in its own config file). Basic-auth registries are asked `GET /v2/` with the credentials;
 * token registries are asked for a token with them.
 */
import { BerthError, invalidArgument } from '../core/errors.js';
import { basicHeader, normalizeAuth, UnauthorizedError, type AuthConfig } from './client/auth.js';
import type { RegistryConfig } from './client/endpoints.js';
import { registryDomain } from './client/domain.js';
import { request } from './client/http.js';
import { RegistrySession } from './client/repository.js';

export class LoginError extends BerthError {
  constructor(message: string) {
    super('Unauthorized', message);
  }
}

export async function login(cfg: RegistryConfig, raw: AuthConfig, signal?: AbortSignal): Promise<{ Status: string; IdentityToken: string }> {
  const creds = normalizeAuth(raw);
  if (!creds.username && !creds.identitytoken) throw invalidArgument('username is required');
  const domain = registryDomain(creds.serveraddress);
  const [session] = await RegistrySession.connect(domain, cfg, 'push', { creds, signal });
  const s = session!;
  const url = `${s.base}/v2/`;
  if (s.auth.scheme === 'bearer') {
    try {
      await s.auth.authorize('');
    } catch (err) {
      if (err instanceof UnauthorizedError) throw new LoginError(`login attempt to ${url} failed with status: ${err.status} ${err.status === 401 ? 'Unauthorized' : 'Forbidden'}`);
      throw err;
    }
  } else {
    const res = await request({ method: 'GET', url, headers: { Authorization: basicHeader(creds) ?? '' }, signal, proxy: cfg.proxy });
    await res.drain();
    if (res.status !== 200) throw new LoginError(`login attempt to ${url} failed with status: ${res.status} ${res.status === 401 ? 'Unauthorized' : 'Forbidden'}`);
  }
  return { Status: 'Login Succeeded', IdentityToken: '' };
}

