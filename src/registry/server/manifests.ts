/**
 * Manifests the registry accepts: OCI image manifest and index, Docker schema2 manifest and manifest
 * list. `parseManifest` checks the JSON and the descriptors and says what the manifest refers to; the
 * registry then checks that those blobs and child manifests exist in the repository. The bytes are
 * stored exactly as received; nothing here re-serialises them.
 */
import { isDigest, type Digest } from '../../content/index.js';
import { manifestInvalid } from './errors.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

const IMAGE_TYPES = new Set([OCI_MANIFEST, DOCKER_MANIFEST]);
const INDEX_TYPES = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);
/** Content types that say nothing about the manifest: the body's mediaType or shape decides. */
const GENERIC_TYPES = new Set(['', 'application/json', 'application/octet-stream', 'text/plain']);

/** Layers that may live elsewhere (`urls`): the registry need not hold them. */
function isForeignLayer(d: Descriptor): boolean {
  return (
    (d.mediaType.startsWith('application/vnd.docker.image.rootfs.foreign.') ||
      d.mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.')) &&
    (d.urls?.length ?? 0) > 0
  );
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  kind: 'image' | 'index';
  /** blobs the repository must hold: the config and the (non-foreign) layers of an image manifest */
  blobs: Descriptor[];
  /** manifests an index lists */
  children: Descriptor[];
  subject?: Descriptor;
  /** what the referrers API reports for this manifest */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The media type of a Content-Type header value (parameters dropped, lowercased). */
export function baseMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Parses and checks a manifest; MANIFEST_INVALID when it is not one the registry accepts. */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw manifestInvalid(`manifest invalid: not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw manifestInvalid('manifest invalid: not a JSON object');
  const mediaType = resolveMediaType(doc, baseMediaType(contentType));
  if (doc.schemaVersion !== 2) throw manifestInvalid(`manifest invalid: schemaVersion must be 2, got ${JSON.stringify(doc.schemaVersion)}`);
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject');
  const annotations = stringMap(doc.annotations, 'annotations');
  const artifactType = optionalString(doc.artifactType, 'artifactType');

  if (IMAGE_TYPES.has(mediaType)) {
    const config = descriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw manifestInvalid('manifest invalid: layers must be an array');
    const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    return {
      mediaType,
      kind: 'image',
      blobs: [config, ...layers.filter((l) => !isForeignLayer(l))],
      children: [],
      subject,
      artifactType: artifactType || config.mediaType,
      annotations,
    };
  }
  if (!Array.isArray(doc.manifests)) throw manifestInvalid('manifest invalid: manifests must be an array');
  const children = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
  return { mediaType, kind: 'index', blobs: [], children, subject, artifactType: artifactType || undefined, annotations };
}

/** Every digest a stored manifest keeps alive (for garbage collection): its blobs and children. */
export function referencedDigests(m: ParsedManifest): Digest[] {
  return [...m.blobs.map((d) => d.digest), ...m.children.map((d) => d.digest)];
}

function resolveMediaType(doc: Record<string, unknown>, contentType: string): string {
  const declared = optionalString(doc.mediaType, 'mediaType');
  const known = (t: string) => IMAGE_TYPES.has(t) || INDEX_TYPES.has(t);
  if (!GENERIC_TYPES.has(contentType)) {
    if (!known(contentType)) throw manifestInvalid(`manifest invalid: unsupported manifest media type ${JSON.stringify(contentType)}`);
    if (declared && declared !== contentType) {
      throw manifestInvalid(`manifest invalid: mediaType ${JSON.stringify(declared)} does not match Content-Type ${JSON.stringify(contentType)}`);
    }
    return contentType;
  }
  if (declared) {
    if (!known(declared)) throw manifestInvalid(`manifest invalid: unsupported manifest media type ${JSON.stringify(declared)}`);
    return declared;
  }
  // no type anywhere: the OCI shapes, as the image spec allows mediaType to be absent
  if (Array.isArray(doc.manifests)) return OCI_INDEX;
  if (isObject(doc.config)) return OCI_MANIFEST;
  throw manifestInvalid('manifest invalid: unknown manifest media type');
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw manifestInvalid(`manifest invalid: ${where} must be a descriptor object`);
  if (typeof v.mediaType !== 'string' || v.mediaType === '') throw manifestInvalid(`manifest invalid: ${where}.mediaType must be a string`);
  if (typeof v.digest !== 'string' || !isDigest(v.digest)) {
    throw manifestInvalid(`manifest invalid: ${where}.digest is not a sha256 digest: ${JSON.stringify(v.digest)}`);
  }
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) {
    throw manifestInvalid(`manifest invalid: ${where}.size must be a non-negative integer`);
  }
  const d: Descriptor = { mediaType: v.mediaType, digest: v.digest, size: v.size };
  if (v.urls !== undefined) {
    if (!Array.isArray(v.urls) || !v.urls.every((u) => typeof u === 'string')) throw manifestInvalid(`manifest invalid: ${where}.urls must be strings`);
    d.urls = v.urls as string[];
  }
  return d;
}

function optionalString(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw manifestInvalid(`manifest invalid: ${where} must be a string`);
  return v;
}

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw manifestInvalid(`manifest invalid: ${where} must map strings to strings`);
  }
  return v as Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
