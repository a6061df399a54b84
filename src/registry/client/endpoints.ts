/**
 * Where a registry host is reached, as dockerd decides it: Docker Hub (`docker.io`) through its mirrors
 * first (pulls only), then `registry-1.docker.io`; any registry over https, with plain http allowed as a
 * fallback only for `insecure-registries` (host[:port] or CIDR) and for loopback (127.0.0.0/8 and
 * `localhost`, which Docker treats as insecure by default).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ipInCidr } from '../../core/ipnet.js';
import { invalidArgument } from '../../core/errors.js';
import type { ProxyConfig } from './http.js';
import { DOCKER_HUB } from './domain.js';


const HUB_ENDPOINT = 'https://registry-1.docker.io';

export interface RegistryConfig {
  /** `registry-mirrors`: URLs tried first for Docker Hub pulls */
  mirrors: string[];
  /** `insecure-registries`: host[:port] or CIDR */
  insecure: string[];
  /** `proxies` or the proxy environment variables */
  proxy?: ProxyConfig;
}

export interface Endpoint {
  /** base URL without a trailing slash, e.g. https://registry-1.docker.io */
  url: string;
  mirror: boolean;
  /** after a TLS failure on this https endpoint, try plain http on the same host */
  httpFallback: boolean;
}

/** Validates daemon.json's registry keys (Docker's messages). */
export function parseRegistryConfig(mirrors: unknown, insecure: unknown): RegistryConfig {
  const list = (v: unknown, key: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidArgument(`${key} must be a list of strings`);
    return v as string[];
  };
  const m = list(mirrors, 'registry-mirrors').map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw invalidArgument(`invalid mirror: "${u}" is not a valid URI`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidArgument(`invalid mirror: unsupported scheme "${url.protocol.slice(0, -1)}" in "${u}"`);
    if (url.pathname !== '/' && url.pathname !== '') throw invalidArgument(`invalid mirror: path, query, or fragment at end of the URI "${u}"`);
    return url.origin;
  });
  const ins = list(insecure, 'insecure-registries').map((s) => {
    if (/^[a-z]+:\/\//i.test(s)) throw invalidArgument(`insecure registry ${s} should not contain '://'`);
    return s.toLowerCase();
  });
  return { mirrors: m, insecure: ins };
}


function hostOnly(hostport: string): string {
  if (hostport.startsWith('[')) return hostport.slice(1, hostport.indexOf(']'));
  const i = hostport.lastIndexOf(':');
  return i > -1 ? hostport.slice(0, i) : hostport;
}

/** Whether plain http may be used for this registry host (`host[:port]`). */
export async function isInsecure(hostport: string, cfg: RegistryConfig): Promise<boolean> {
  const h = hostport.toLowerCase();
  const host = hostOnly(h);
  if (host === 'localhost' || host === '::1') return true;
  if (cfg.insecure.includes(h)) return true;
  let ips: string[] = [];
  if (isIP(host)) ips = [host];
  else if (cfg.insecure.some((c) => c.includes('/'))) ips = await lookup(host, { all: true }).then((r) => r.map((x) => x.address), () => []);
  return ips.some((ip) => ipInCidr(ip, '127.0.0.0/8') || cfg.insecure.some((c) => c.includes('/') && ipInCidr(ip, c)));
}

/** The endpoints to try for a registry domain, in order. */
export async function endpointsFor(domain: string, cfg: RegistryConfig, purpose: 'pull' | 'push'): Promise<Endpoint[]> {
  if (domain === DOCKER_HUB) {
    const out: Endpoint[] = purpose === 'pull' ? cfg.mirrors.map((url) => ({ url, mirror: true, httpFallback: false })) : [];
    out.push({ url: HUB_ENDPOINT, mirror: false, httpFallback: false });
    return out;
  }
  return [{ url: `https://${domain}`, mirror: false, httpFallback: await isInsecure(domain, cfg) }];
}
