/**
 * Manifest media types, manifest parsing and platform selection (pure). Docker v2 schema 2 and OCI
 * manifests are read alike; manifest lists and OCI indexes pick one manifest for a platform, as
 * containerd's platforms matcher does (os, architecture, then variant; amd64 matches only amd64, arm64
 * defaults to variant v8).
 */
import { invalidArgument } from '../../core/errors.js';
import { isDigest } from '../../content/index.js';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondist: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** What a pull asks for, in order of preference. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

export type Compression = 'gzip' | 'zstd' | 'none';

export function isIndexType(mt: string): boolean {
  return mt === MT.ociIndex || mt === MT.dockerList;
}

export function isManifestType(mt: string): boolean {
  return mt === MT.ociManifest || mt === MT.dockerManifest;
}

/** The compression of a layer media type; InvalidArgument for what cannot be a layer. */
export function layerCompression(mt: string): Compression {
  switch (mt) {
    case MT.dockerLayerGzip:
    case MT.dockerForeignLayerGzip:
    case MT.ociLayerGzip:
    case MT.ociLayerNondistGzip:
      return 'gzip';
    case MT.ociLayerZstd:
      return 'zstd';
    case MT.ociLayer:
    case MT.ociLayerNondist:
      return 'none';
    default:
      throw invalidArgument(`unsupported layer media type ${JSON.stringify(mt)}`);
  }
}

function checkDescriptor(d: unknown, what: string): Descriptor {
  if (typeof d !== 'object' || d === null) throw invalidArgument(`invalid manifest: ${what} is not an object`);
  const x = d as Record<string, unknown>;
  if (typeof x.digest !== 'string' || !isDigest(x.digest)) throw invalidArgument(`invalid manifest: ${what} has an invalid digest`);
  if (typeof x.size !== 'number' || !Number.isSafeInteger(x.size) || x.size < 0) throw invalidArgument(`invalid manifest: ${what} has an invalid size`);
  if (x.mediaType !== undefined && typeof x.mediaType !== 'string') throw invalidArgument(`invalid manifest: ${what} has an invalid media type`);
  return d as Descriptor;
}

export type ParsedManifest = { kind: 'index'; mediaType: string; index: ImageIndex } | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

/**
 * Parses manifest bytes. The media type comes from the body, else from the response's Content-Type.
 * Schema 1 manifests are refused with Docker's own wording.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalidArgument('invalid manifest: not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('invalid manifest: not an object');
  const ct = (contentType ?? '').split(';')[0]!.trim();
  let mt = typeof body.mediaType === 'string' ? body.mediaType : ct;
  if (body.schemaVersion === 1 || mt === MT.dockerSchema1 || ct === 'application/vnd.docker.distribution.manifest.v1+json') {
    throw invalidArgument('support for image manifest version 2, schema 1 has been removed');
  }
  if (!mt) mt = Array.isArray(body.manifests) ? MT.ociIndex : MT.ociManifest;
  if (body.schemaVersion !== 2) throw invalidArgument('invalid manifest: schemaVersion must be 2');
  if (isIndexType(mt)) {
    if (!Array.isArray(body.manifests)) throw invalidArgument('invalid manifest: index without manifests');
    body.manifests.forEach((d, i) => checkDescriptor(d, `manifests[${i}]`));
    return { kind: 'index', mediaType: mt, index: body as unknown as ImageIndex };
  }
  if (isManifestType(mt)) {
    checkDescriptor(body.config, 'config');
    if (!Array.isArray(body.layers)) throw invalidArgument('invalid manifest: no layers');
    body.layers.forEach((d, i) => checkDescriptor(d, `layers[${i}]`));
    return { kind: 'manifest', mediaType: mt, manifest: body as unknown as ImageManifest };
  }
  throw invalidArgument(`unsupported manifest media type ${JSON.stringify(mt)}`);
}

/** `os[/arch[/variant]]`, defaulting to linux and this machine, as `docker pull --platform`. */
export function parsePlatform(s: string | undefined, hostArch: string): Platform {
  if (!s) return normalizePlatform({ os: 'linux', architecture: hostArch });
  const parts = s.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => p === '' || !/^[a-z0-9._-]+$/.test(p))) {
    throw invalidArgument(`"${s}": invalid platform: expected os[/arch[/variant]]`);
  }
  const [os, architecture = hostArch, variant] = parts;
  return normalizePlatform({ os: os!, architecture, ...(variant ? { variant } : {}) });
}

export function normalizePlatform(p: Platform): Platform {
  const arch = ({ x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386' } as Record<string, string>)[p.architecture] ?? p.architecture;
  let variant = p.variant;
  if (arch === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (arch === 'arm' && variant === undefined) variant = 'v7';
  if (arch === 'amd64' && variant === 'v1') variant = undefined;
  const out: Platform = { os: p.os.toLowerCase(), architecture: arch };
  if (variant) out.variant = variant;
  return out;
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Picks the manifest of an index for a platform: exact variant first, then one without a variant. */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor | undefined {
  const w = normalizePlatform(want);
  const candidates = index.manifests.filter((d) => isManifestType(d.mediaType ?? '') || d.mediaType === undefined);
  const match = (d: Descriptor, exactVariant: boolean) => {
    if (!d.platform) return false;
    const p = normalizePlatform(d.platform);
    if (p.os !== w.os || p.architecture !== w.architecture) return false;
    return exactVariant ? p.variant === w.variant : p.variant === undefined || w.variant === undefined;
  };
  return candidates.find((d) => match(d, true)) ?? candidates.find((d) => match(d, false));
}
