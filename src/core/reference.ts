/**
 * Image reference parsing and normalization, as distribution/reference (ParseNormalizedNamed,
 * ParseAnyReference, FamiliarString). Pure functions; errors carry Docker's texts.
 */
import { invalidArgument } from './errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

/** A normalized named reference: `domain/path[:tag][@digest]`. */
export interface NamedRef {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[[a-fA-F0-9:]+\\]';
const domainRe = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tagRe = '[\\w][\\w.-]{0,127}';
const digestRe = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${domainRe})/(${pathComponent}(?:/${pathComponent})*)(?::(${tagRe}))?(?:@(${digestRe}))?$`);
const TAG = new RegExp(`^${tagRe}$`);
const ID_HEX = /^[a-f0-9]{64}$/;
const ID_DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Splits off the registry host as Docker does: the first component is a host if it has `.` or `:` or is localhost. */
function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/** Parses a name as `docker pull` does: `busybox` is `docker.io/library/busybox` (no tag is added). */
export function parseNormalizedNamed(s: string): NamedRef {
  if (ID_HEX.test(s)) throw invalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw invalidArgument(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  if (s === '') throw invalidArgument('invalid reference format: repository name must have at least one component');
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m) throw invalidArgument('invalid reference format');
  if (m[1]!.length + 1 + m[2]!.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidArgument('invalid reference format: repository name must not be more than 255 characters');
  }
  const ref: NamedRef = { domain: m[1]!, path: m[2]! };
  if (m[3] !== undefined) ref.tag = m[3];
  if (m[4] !== undefined) {
    if (!ID_DIGEST.test(m[4])) throw invalidArgument('invalid reference format: invalid digest format');
    ref.digest = m[4];
  }
  return ref;
}

/** Either an image id (`sha256:<64 hex>` or 64 hex) or a named reference. */
export type AnyRef = { kind: 'id'; id: string } | { kind: 'named'; ref: NamedRef };

export function parseAnyReference(s: string): AnyRef {
  if (ID_HEX.test(s)) return { kind: 'id', id: `sha256:${s}` };
  if (ID_DIGEST.test(s)) return { kind: 'id', id: s };
  return { kind: 'named', ref: parseNormalizedNamed(s) };
}

/** `docker.io/library/busybox` */
export function fullName(r: NamedRef): string {
  return `${r.domain}/${r.path}`;
}

/** The normalized string: `docker.io/library/busybox:latest`, `docker.io/library/busybox@sha256:...`. */
export function refString(r: NamedRef): string {
  return fullName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** `busybox` for docker.io/library/busybox, `user/x` for docker.io/user/x, otherwise the full name. */
export function familiarName(r: NamedRef): string {
  if (r.domain !== DEFAULT_DOMAIN) return fullName(r);
  const rest = r.path.startsWith(OFFICIAL_REPO_PREFIX) ? r.path.slice(OFFICIAL_REPO_PREFIX.length) : r.path;
  return rest.includes('/') ? r.path : rest;
}

export function familiarString(r: NamedRef): string {
  return familiarName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** Adds the `latest` tag to a name that has neither tag nor digest. */
export function withDefaultTag(r: NamedRef): NamedRef {
  return r.tag === undefined && r.digest === undefined ? { ...r, tag: DEFAULT_TAG } : r;
}

/** The reference `repo[:tag]` given to `docker tag`/`import`, normalized, tagged (default latest). */
export function repoTagReference(repo: string, tag?: string): NamedRef {
  const r = parseNormalizedNamed(repo);
  if (r.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
  if (tag !== undefined && tag !== '') {
    if (!isValidTag(tag)) throw invalidArgument('invalid tag format');
    return { domain: r.domain, path: r.path, tag };
  }
  return withDefaultTag(r);
}
