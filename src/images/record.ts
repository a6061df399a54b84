import { createHash } from 'node:crypto';
import type { HistoryItem, ImageConfigBlob, ImageInspect, ImageSummary } from '../api/types.js';

/** An image as the store knows it. RepoTags/RepoDigests are in familiar form (`busybox:latest`). */
export interface ImageRecord {
  /** `sha256:<hex>`: the digest of the config blob. */
  id: string;
  config: ImageConfigBlob;
  /** Uncompressed layer digests, bottom to top (= config.rootfs.diff_ids). */
  diffIDs: string[];
  repoTags: string[];
  repoDigests: string[];
  /** Sum of the unpacked layer sizes. */
  size: number;
  /** ISO time of the last `tag`/`import` with a tag; undefined if never. */
  lastTagTime?: string;
  /** the image it was built on (a build step's parent, as the classic builder records it) */
  parent?: string;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** 12 hex characters of an id, as Docker's stringid.TruncateID. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** The chain IDs of a layer stack (OCI image spec: ChainID(L0|...|Ln) = sha256(ChainID(..n-1) + " " + DiffID(n))). */
export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIDs) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

/**
 * The image's config as dockerd's API (v1.47) writes it: Go's container.Config, whose fields without
 * `omitempty` are always there (empty strings, false, null) in the struct's order, the others only when
 * set. Clients that index the JSON (`attrs['Config']['User']`) find the same keys as on Docker.
 */
const CONFIG_FIELDS: [key: string, dflt: unknown][] = [
  ['Hostname', ''], ['Domainname', ''], ['User', ''], ['AttachStdin', false], ['AttachStdout', false], ['AttachStderr', false],
  ['ExposedPorts', undefined], ['Tty', false], ['OpenStdin', false], ['StdinOnce', false], ['Env', null], ['Cmd', null],
  ['Healthcheck', undefined], ['ArgsEscaped', undefined], ['Image', ''], ['Volumes', null], ['WorkingDir', ''], ['Entrypoint', null],
  ['NetworkDisabled', undefined], ['MacAddress', undefined], ['OnBuild', null], ['Labels', null], ['StopSignal', undefined],
  ['StopTimeout', undefined], ['Shell', undefined],
];

export function inspectConfig(cfg: object): ImageInspect['Config'] {
  const src = cfg as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, dflt] of CONFIG_FIELDS) {
    const v = src[k];
    if (dflt !== undefined) out[k] = v ?? dflt;
    else if (!(v === undefined || v === null || v === false || v === '' || (typeof v === 'object' && Object.keys(v).length === 0))) out[k] = v;
  }
  return out as ImageInspect['Config'];
}

export function toInspect(img: ImageRecord, layerDirs: string[]): ImageInspect {
  const c = img.config;
  const top = layerDirs[layerDirs.length - 1];
  const data: Record<string, string> | null = top === undefined ? null : { UpperDir: top };
  if (data && layerDirs.length > 1) data['LowerDir'] = layerDirs.slice(0, -1).reverse().join(':');
  const out: ImageInspect = {
    Id: img.id,
    RepoTags: img.repoTags,
    RepoDigests: img.repoDigests,
    Parent: img.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? '',
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: inspectConfig(c.config ?? {}),
    Architecture: c.architecture,
    Os: c.os,
    Size: img.size,
    GraphDriver: { Name: 'overlay2', Data: data },
    RootFS: { Type: 'layers', Layers: img.diffIDs },
    Metadata: { LastTagTime: img.lastTagTime ?? ZERO_TIME },
  };
  if (c.variant) out.Variant = c.variant;
  return out;
}

export function toSummary(img: ImageRecord): ImageSummary {
  const created = Date.parse(img.config.created ?? '');
  return {
    Id: img.id,
    ParentId: img.parent ?? '',
    RepoTags: img.repoTags,
    RepoDigests: img.repoDigests,
    Created: Number.isNaN(created) ? 0 : Math.floor(created / 1000),
    Size: img.size,
    SharedSize: -1,
    Labels: img.config.config?.Labels ?? {},
    Containers: -1,
  };
}

/**
 * Docker's image history: one entry per config.history step, newest first; steps that made a layer
 * carry its size (in layer order), the newest entry carries the image id and tags, the others
 * `<missing>` (their intermediate images do not exist here).
 */
export function historyOf(img: ImageRecord, layerSize: (diffID: string) => number, parentOf: (id: string) => ImageRecord | undefined = () => undefined): HistoryItem[] {
  const out: HistoryItem[] = [];
  let layer = 0;
  for (const h of img.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      const d = img.diffIDs[layer++];
      if (d !== undefined) size = layerSize(d);
    }
    out.push({
      Id: '<missing>',
      Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  out.reverse();
  // the newest entries name the image and, while it has one, each parent in turn (moby's ImageHistory)
  let cur: ImageRecord | undefined = img;
  for (const h of out) {
    if (!cur) break;
    h.Id = cur.id;
    h.Tags = cur.repoTags.length ? cur.repoTags : null;
    cur = cur.parent ? parentOf(cur.parent) : undefined;
  }
  return out;
}
