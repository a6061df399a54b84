/**
 * Names in the distribution API: repository names, tags and digests, with the spec's grammars. A name
 * that passes these checks is safe to use as a path under the registry root (no `.`/`..` components, no
 * absolute paths, no characters outside [a-z0-9._/-]).
 */
import { isDigest, type Digest } from '../../content/index.js';
import { digestInvalid, registryError } from './errors.js';

/** The spec's `<name>` grammar, anchored. */
const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** The spec's tag grammar. */
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The image spec's general digest grammar (any algorithm); only sha256 is supported. */
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Clients limit `host/name` to 255 characters; distribution rejects longer names. */
export const MAX_NAME_LENGTH = 255;

export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_RE.test(name);
}

export function isTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** Validates a repository name: NAME_INVALID otherwise. */
export function checkName(name: string): string {
  if (!isRepositoryName(name)) {
    throw registryError('NAME_INVALID', `invalid repository name: ${JSON.stringify(name)}`, { detail: { name } });
  }
  return name;
}

/** Validates a digest: DIGEST_INVALID when malformed or of an algorithm other than sha256. */
export function checkDigest(s: string): Digest {
  if (isDigest(s)) return s;
  if (ANY_DIGEST_RE.test(s) && !s.startsWith('sha256:')) {
    throw digestInvalid(`unsupported digest algorithm: ${JSON.stringify(s)}`, { digest: s });
  }
  throw digestInvalid(`invalid digest: ${JSON.stringify(s)}`, { digest: s });
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/** `<tag-or-digest>` of the manifest endpoints. */
export function parseReference(ref: string): Reference {
  if (ref.includes(':')) return { kind: 'digest', digest: checkDigest(ref) };
  if (!isTag(ref)) throw registryError('MANIFEST_INVALID', `invalid tag: ${JSON.stringify(ref)}`, { detail: { tag: ref } });
  return { kind: 'tag', tag: ref };
}
