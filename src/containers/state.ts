/**
 * The container state machine, as pure data (youki's ContainerStatus::can_*).
 * Every operation loads the container, asks here whether the transition is allowed, does the work,
 * then persists. The checks return the error Docker returns, or undefined when allowed.
 */
import type { ContainerStatus } from '../api/types.js';
import { BerthError, conflict, notModified } from '../core/errors.js';

export function checkStart(status: ContainerStatus, id: string): BerthError | undefined {
  switch (status) {
    case 'running': return notModified('container already started');
    case 'paused': return conflict(`cannot start a paused container, try unpause instead`);
    case 'removing': return conflict(`container is marked for removal and cannot be started`);
    case 'dead': return conflict(`container ${id} is dead and cannot be started`);
    default: return undefined;
  }
}

export function checkStop(status: ContainerStatus): BerthError | undefined {
  return status === 'running' || status === 'paused' || status === 'restarting' ? undefined : notModified('container already stopped');
}

export function checkKill(status: ContainerStatus, id: string): BerthError | undefined {
  return status === 'running' || status === 'paused' || status === 'restarting'
    ? undefined
    : conflict(`cannot kill container: ${id}: container ${id} is not running`);
}

export function checkRemove(status: ContainerStatus, id: string, force: boolean): BerthError | undefined {
  if (force) return status === 'removing' ? conflict(`removal of container ${id} is already in progress`) : undefined;
  if (status === 'running' || status === 'restarting') {
    return conflict(`cannot remove container "${id}": container is ${status}: stop the container before removing or force remove`);
  }
  if (status === 'paused') return conflict(`cannot remove container "${id}": container is paused and must be unpaused first`);
  if (status === 'removing') return conflict(`removal of container ${id} is already in progress`);
  return undefined;
}

export function checkExec(status: ContainerStatus, id: string): BerthError | undefined {
  if (status === 'restarting') return conflict(`Container ${id} is restarting, wait until the container is running`);
  if (status === 'paused') return conflict(`container ${id} is paused, unpause the container before exec`);
  if (status !== 'running') return conflict(`container ${id} is not running`);
  return undefined;
}

export function checkPause(status: ContainerStatus, id: string): BerthError | undefined {
  if (status === 'paused') return conflict(`Container ${id} is already paused`);
  if (status !== 'running') return conflict(`container ${id} is not running`);
  return undefined;
}

export function checkUnpause(status: ContainerStatus, id: string): BerthError | undefined {
  return status === 'paused' ? undefined : conflict(`Container ${id} is not paused`);
}

export function checkAttach(status: ContainerStatus): BerthError | undefined {
  return status === 'removing' || status === 'dead' ? conflict('you cannot attach to a stopped container, start it first') : undefined;
}

/** the container's processes exist (a paused one's too): logs follow, top and stats read them */
export function hasProcesses(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused';
}

export function isActive(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'restarting';
}
