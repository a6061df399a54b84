/**
 * The ground floor: everything that touches the host's processes, mount table and files in a way that
 * must be done one way. Nothing above spawns a process, mounts, or writes a state file by hand.
 */
export { run, output, startProcess, inNetns, HostCommandError, type RunOptions, type RunResult } from './process.js';
export { mount, unmount, mountPoints, mountsUnder, type MountOptions } from './mount.js';
export { writeFileAtomic, syncDir, type AtomicWriteOptions } from './atomic.js';
export { KeyedLock, Mutex } from './lock.js';
export { SharedLock } from './sharedlock.js';
export { parseMountInfo, type MountInfo } from './mountinfo.js';
export { mknod, splitDevice, type NodeKind } from './nodes.js';
export { netDaemon, NetDaemon, NetOpError, type NetOp } from './netd.js';
