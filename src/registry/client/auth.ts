/**
 * Registry authentication as Docker does it: a request answered 401 carries a `WWW-Authenticate`
 * challenge. `Basic` means send the credentials on every request; `Bearer realm=...,service=...,scope=...`
 * means ask the realm for a token (anonymously, or with the credentials as basic auth, or with an
 * identity token as an OAuth2 refresh token) and send it as `Authorization: Bearer`. Tokens are cached per
 * registry and scope until they expire.
 */
import { unavailable } from '../../core/errors.js';
import { request, type ProxyConfig } from './http.js';

/** Docker's AuthConfig, as carried base64url-encoded in `X-Registry-Auth` and posted to /auth. */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate` values (several challenges may share one header). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  const out: Challenge[] = [];
  for (const v of values) {
    let i = 0;
    const scheme = /[\s,]*([A-Za-z][\w-]*)/y;
    const param = /\s*,?\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/y;
    while (i < v.length) {
      scheme.lastIndex = i;
      const m = scheme.exec(v);
      if (!m) break;
      i = scheme.lastIndex;
      const params: Record<string, string> = {};
      for (;;) {
        param.lastIndex = i;
        const p = param.exec(v);
        if (!p) break;
        params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
        i = param.lastIndex;
      }
      out.push({ scheme: m[1]!.toLowerCase(), params });
    }
  }
  return out;
}

/** Decodes `X-Registry-Auth` (base64url or base64 JSON); an empty or undecodable header is no credentials. */
export function decodeAuthHeader(value: string | undefined): AuthConfig | undefined {
  if (!value) return undefined;
  try {
    const json = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const parsed = JSON.parse(json) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const a = normalizeAuth(parsed as AuthConfig);
    return a.username || a.identitytoken || a.registrytoken ? a : undefined;
  } catch {
    return undefined;
  }
}

/** Fills username/password from `auth` (base64 user:pass) when only that is given. */
export function normalizeAuth(a: AuthConfig): AuthConfig {
  const out: AuthConfig = {};
  for (const k of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const v = (a as Record<string, unknown>)[k];
    if (typeof v === 'string' && v !== '') out[k] = v;
  }
  if (!out.username && out.auth) {
    const s = Buffer.from(out.auth, 'base64').toString('utf8');
    const i = s.indexOf(':');
    if (i > 0) {
      out.username = s.slice(0, i);
      out.password = s.slice(i + 1);
    }
  }
  return out;
}

export function basicHeader(a: AuthConfig): string | undefined {
  if (!a.username) return undefined;
  return `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}`;
}

interface CachedToken {
  token: string;
  expires: number;
}

export class UnauthorizedError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/**
 * Holds the credentials for one registry and the tokens obtained with them. `authorize` returns the
 * Authorization header for a scope, fetching a token when the registry asked for one.
 */
export class Authorizer {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly creds: AuthConfig | undefined,
    private readonly opts: { signal?: AbortSignal; ca?: string | Buffer; proxy?: ProxyConfig } = {},
  ) {}

  /** Remembers the challenge of a 401 answer; returns false if there is nothing new to try. */
  learn(header: string | string[] | undefined): boolean {
    const cs = parseChallenges(header);
    const c = cs.find((x) => x.scheme === 'bearer') ?? cs.find((x) => x.scheme === 'basic');
    if (!c) return false;
    const fresh = !this.challenge || this.challenge.scheme !== c.scheme || this.challenge.params.realm !== c.params.realm;
    this.challenge = c;
    return fresh;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** Drops cached tokens for a scope (after the registry refused one). */
  forget(scope: string): void {
    this.tokens.delete(scope);
  }

  async authorize(scope: string): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') return this.creds ? basicHeader(this.creds) : undefined;
    if (c.scheme !== 'bearer') return undefined;
    if (this.creds?.registrytoken) return `Bearer ${this.creds.registrytoken}`;
    const cached = this.tokens.get(scope);
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    const t = await this.fetchToken(c, scope);
    this.tokens.set(scope, t);
    return `Bearer ${t.token}`;
  }

  private async fetchToken(c: Challenge, scope: string): Promise<CachedToken> {
    const realm = c.params.realm;
    if (!realm) throw unavailable('registry asked for a bearer token without a realm');
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw unavailable(`registry sent an invalid token realm ${JSON.stringify(realm)}`);
    }
    const service = c.params.service;
    const scopes = [...new Set([...(c.params.scope ? c.params.scope.split(' ') : []), ...(scope ? [scope] : [])])];
    let res;
    if (this.creds?.identitytoken) {
      // OAuth2 refresh-token grant, as Docker does with an identity token
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.creds.identitytoken, client_id: 'berth', ...(service ? { service } : {}) });
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await request({ method: 'POST', url: realmUrl.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), signal: this.opts.signal, ca: this.opts.ca, proxy: this.opts.proxy });
    } else {
      if (service) realmUrl.searchParams.set('service', service);
      for (const s of scopes) realmUrl.searchParams.append('scope', s);
      if (this.creds?.username) realmUrl.searchParams.set('account', this.creds.username);
      const headers: Record<string, string> = {};
      const basic = this.creds ? basicHeader(this.creds) : undefined;
      if (basic) headers.Authorization = basic;
      res = await request({ method: 'GET', url: realmUrl.toString(), headers, signal: this.opts.signal, ca: this.opts.ca, proxy: this.opts.proxy });
    }
    const text = await res.text(1 << 20);
    if (res.status === 401 || res.status === 403) {
      throw new UnauthorizedError(`unauthorized: incorrect username or password`, res.status);
    }
    if (res.status !== 200) throw unavailable(`token request to ${realmUrl.host} failed with status ${res.status}`);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw unavailable(`token server ${realmUrl.host} answered with invalid JSON`);
    }
    const token = body.token || body.access_token;
    if (!token) throw unavailable(`token server ${realmUrl.host} answered without a token`);
    const ttl = Math.max(60, typeof body.expires_in === 'number' ? body.expires_in : 60);
    return { token, expires: Date.now() + (ttl - 10) * 1000 };
  }
}
