/**
 * What stops `docker rmi`, as moby decides it (daemon/images/image_delete.go): the conflicts and their
 * order, Docker's texts, and which references an id-delete takes with it. Pure: the store hands in what
 * it knows of the image.
 */
import { conflict } from '../core/errors.js';
import { fullName, type NamedRef } from '../core/reference.js';
import { shortId } from './record.js';

/** A container using an image, as `remove` needs to know it. A bare id counts as a stopped container. */
export interface ImageUser {
  id: string;
  running: boolean;
}

/** hard: not even `-f` deletes it; used: a container uses it */
export interface Conflict {
  hard: boolean;
  used: boolean;
  message: string;
}

/** Which conflicts count: `running` also checks children (moby's conflictHard); the others are soft. */
export interface ConflictCheck {
  running: boolean;
  references: boolean;
  stopped: boolean;
}

/** The first conflict, in moby's order: children, a running container, other references, a stopped container. */
export function deleteConflict(users: ImageUser[], check: ConflictCheck, image: { hasChildren: boolean; referenced: boolean }): Conflict | undefined {
  if (check.running && image.hasChildren) return { hard: true, used: false, message: 'image has dependent child images' };
  const running = users.find((u) => u.running);
  if (check.running && running) return { hard: true, used: true, message: `image is being used by running container ${shortId(running.id)}` };
  if (check.references && image.referenced) return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
  const stopped = users.find((u) => !u.running);
  if (check.stopped && stopped) return { hard: false, used: true, message: `image is being used by stopped container ${shortId(stopped.id)}` };
  return undefined;
}

export function conflictError(id: string, c: Conflict) {
  return conflict(`conflict: unable to delete ${shortId(id)} (${c.hard ? 'cannot be forced' : 'must be forced'}) - ${c.message}`);
}

export function isImageIDPrefix(id: string, s: string): boolean {
  return id.startsWith(s) || id.slice(7).startsWith(s);
}

/** True when all references are in one repository with at most one tag (moby's isSingleReference). */
export function isSingleReference(refs: NamedRef[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: NamedRef | undefined;
  const canonical = new Set<string>();
  for (const r of refs) {
    if (r.digest !== undefined) canonical.add(fullName(r));
    else if (!single) single = r;
    else return false;
  }
  return canonical.size === 1 && canonical.has(fullName(single ?? refs[0]!));
}
