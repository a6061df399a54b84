/**
 * OCI runtime spec generation. Lifecycle of a container's spec:
 *   1. mergeConfig(image config, create body) → the effective ContainerConfig (stored with the container);
 *   2. composeArgs + containerEnv → argv and environment; resolveUser (I/O: reads the rootfs) → ids;
 *   3. generateSpec(input) → OciSpec, written as config.json with specToJSON.
 * Everything but resolveUser/readFileInRoot is pure.
 */
export type {
  OciSpec, OciProcess, OciUser, OciCapabilities, OciRlimit, OciMount, OciNamespace, OciNamespaceType,
  OciDevice, OciDeviceCgroup, OciResources, OciSeccomp, OciLinux,
} from './types.js';
export {
  generateSpec, specToJSON, buildRlimits, rlimitWarnings, checkSysctls, mergeTmpfsOptions,
  OCI_VERSION, DEFAULT_SHM_SIZE, RLIM_INFINITY, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS,
  DEFAULT_DEVICE_RULES, DEFAULT_DEVICES,
} from './generate.js';
export type { SpecInput, NamespaceSpec, BindSpec, UlimitSpec, HostRlimit, ResourcesSpec, OwnNamespaces } from './generate.js';
export { resolveDevices, devicesFromPath, hostDevices, parseDeviceCgroupRule, normalizeDeviceMapping, validDeviceMode, splitDev } from './devices.js';
export type { DeviceMappingSpec, ResolvedDevices } from './devices.js';
export {
  ALL_CAPABILITIES, DEFAULT_CAPABILITIES, capabilitiesFromMask, normalizeCapabilities, resolveCapabilities,
} from './capabilities.js';
export type { CapabilityOptions } from './capabilities.js';
export { mergeConfig, composeArgs, containerEnv, withHome, replaceOrAppendEnv, DEFAULT_PATH_ENV } from './config.js';
export { resolveUser, resolveUserFrom, resolveInRoot, readFileInRoot, parsePasswd, parseGroup } from './user.js';
export type { ResolvedUser } from './user.js';
export { parseSignal, signalName } from './signal.js';
