/**
 * `docker commit`, the pure part: the new image's container config (moby daemon/commit.go: the body's
 * config, or the container's, with the `--change` instructions applied, then completed from the
 * container's config by `merge`) and the child image config (image.NewChildImage: the parent's
 * rootfs and history extended by one layer, unless that layer is empty).
 */
import type { ContainerConfig, ImageConfigBlob } from '../../api/types.js';
import { applyChanges } from '../../images/changes.js';

/** The digest of an empty tar (1024 zero bytes): a commit with no changes adds no layer. */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** moby's merge: fills what `user` leaves unset from `base` (the container's config). */
export function mergeConfig(user: ContainerConfig, base: ContainerConfig): ContainerConfig {
  const out: ContainerConfig = structuredClone(user);
  if (!out.User) out.User = base.User;
  if (!out.ExposedPorts || Object.keys(out.ExposedPorts).length === 0) out.ExposedPorts = base.ExposedPorts;
  else out.ExposedPorts = { ...(base.ExposedPorts ?? {}), ...out.ExposedPorts };
  if (!out.Env || out.Env.length === 0) {
    out.Env = base.Env;
  } else {
    const keys = new Set(out.Env.map((e) => e.split('=')[0]));
    out.Env = [...out.Env, ...(base.Env ?? []).filter((e) => !keys.has(e.split('=')[0]))];
  }
  out.Labels = { ...(base.Labels ?? {}), ...(out.Labels ?? {}) };
  if (!out.Entrypoint || out.Entrypoint.length === 0) {
    if (!out.Cmd || out.Cmd.length === 0) {
      out.Cmd = base.Cmd;
      if (base.ArgsEscaped !== undefined) out.ArgsEscaped = base.ArgsEscaped;
    }
    if (out.Entrypoint === undefined || out.Entrypoint === null) out.Entrypoint = base.Entrypoint;
  }
  if (base.Healthcheck) {
    if (!out.Healthcheck) out.Healthcheck = base.Healthcheck;
    else {
      const h = out.Healthcheck;
      if (!h.Test?.length) h.Test = base.Healthcheck.Test;
      for (const k of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) if (!h[k]) h[k] = base.Healthcheck[k];
    }
  }
  if (!out.WorkingDir) out.WorkingDir = base.WorkingDir;
  if (!out.Volumes || Object.keys(out.Volumes).length === 0) out.Volumes = base.Volumes;
  else out.Volumes = { ...out.Volumes, ...(base.Volumes ?? {}) };
  if (!out.StopSignal) out.StopSignal = base.StopSignal;
  return out;
}

/** The committed image's config: `body` (the request's config) or the container's, with `changes`. */
export function commitConfig(container: ContainerConfig, body: ContainerConfig | undefined, changes: readonly string[]): ContainerConfig {
  const start = body && Object.keys(body).length > 0 ? body : container;
  return mergeConfig(applyChanges(start, changes), container);
}

export interface ChildImage {
  config: ContainerConfig;
  containerConfig: ContainerConfig;
  containerId: string;
  author?: string;
  comment?: string;
  diffID: string;
  created: string;
}

/** image.NewChildImage: the parent's platform, rootfs and history, plus the new layer. */
export function childImageConfig(parent: ImageConfigBlob, c: ChildImage): ImageConfigBlob & { container?: string } {
  const empty = c.diffID === EMPTY_LAYER_DIFF_ID;
  const createdBy = (c.containerConfig.Cmd ?? []).join(' ');
  return {
    architecture: parent.architecture,
    ...(parent.variant ? { variant: parent.variant } : {}),
    os: parent.os,
    created: c.created,
    ...(c.author ? { author: c.author } : {}),
    ...(c.comment ? { comment: c.comment } : {}),
    container: c.containerId,
    container_config: c.containerConfig,
    config: c.config,
    rootfs: { type: 'layers', diff_ids: [...(parent.rootfs?.diff_ids ?? []), ...(empty ? [] : [c.diffID])] },
    history: [
      ...(parent.history ?? []),
      {
        created: c.created,
        ...(c.author ? { author: c.author } : {}),
        created_by: createdBy,
        ...(c.comment ? { comment: c.comment } : {}),
        ...(empty ? { empty_layer: true } : {}),
      },
    ],
  };
}
