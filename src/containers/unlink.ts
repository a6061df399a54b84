/**
 * DELETE /containers/{parent}/{alias}?link=1: removes a legacy link from its parent, as dockerd's rmLink.
 * A link is named /<parent>/<alias> and stored on the parent as "/<target>:/<parent>/<alias>". The
 * parent's /etc/hosts keeps the entry until it restarts (its record no longer has the link).
 */
import { conflict, notFound } from '../core/errors.js';
import type { ContainerRecord } from './record.js';

export interface LinkOwners {
  find(ref: string): ContainerRecord | undefined;
  save(rec: ContainerRecord): Promise<void>;
}

/** `name`: the link's name, "parent/alias" (a leading slash is optional). */
export async function removeLink(store: LinkOwners, name: string): Promise<void> {
  const full = name.startsWith('/') ? name : `/${name}`;
  const cut = full.lastIndexOf('/');
  if (cut <= 0) throw conflict('Conflict, cannot remove the default link name of the container');
  const parent = store.find(full.slice(0, cut));
  const links = parent?.hostConfig.Links ?? [];
  const keep = links.filter((l) => l.slice(l.indexOf(':') + 1) !== full);
  // as dockerd: a link name that names nothing is an unknown container
  if (!parent || keep.length === links.length) throw notFound(`No such container: ${name}`);
  parent.hostConfig = { ...parent.hostConfig, Links: keep.length ? keep : null };
  await store.save(parent);
}
