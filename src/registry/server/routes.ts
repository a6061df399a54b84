/**
 * The distribution API's paths. Repository names contain slashes, so each path is matched by its fixed
 * tail (`/manifests/<ref>`, `/blobs/uploads/<uuid>`, ...), upload paths before blob paths. Nothing is
 * percent-decoded in the name: a valid name has no `%`, so an encoded `..` or `/` cannot slip through.
 */
import { registryError } from './errors.js';

export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; ref: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; uuid: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string };

const PATTERNS: [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1], ref: decode(m[2]) })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1] })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1], uuid: decode(m[2]) })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1], digest: decode(m[2]) })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1], digest: decode(m[2]) })],
];

/** Methods each kind of route answers (HEAD wherever GET is). */
export const METHODS: Record<Route['kind'], string[]> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET', 'HEAD'],
  tags: ['GET', 'HEAD'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  uploads: ['POST'],
  upload: ['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  referrers: ['GET', 'HEAD'],
};

export function matchRoute(pathname: string): Route | undefined {
  for (const [re, make] of PATTERNS) {
    const m = re.exec(pathname);
    if (m) return make(m);
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw registryError('UNSUPPORTED', `malformed path segment: ${JSON.stringify(segment)}`, { status: 400 });
  }
}

/** Paths of the locations the API hands out (relative: clients resolve them against the request URL). */
export const paths = {
  blob: (name: string, digest: string) => `/v2/${name}/blobs/${digest}`,
  upload: (name: string, uuid: string) => `/v2/${name}/blobs/uploads/${uuid}`,
  manifest: (name: string, ref: string) => `/v2/${name}/manifests/${ref}`,
  tags: (name: string) => `/v2/${name}/tags/list`,
  catalog: () => '/v2/_catalog',
};
