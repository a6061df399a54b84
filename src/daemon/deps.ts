/** The few helpers of other subsystems the daemon's wiring uses, in one place. */
export { parseSignal } from '../runtime/oci/index.js';
export { parseSize, listLogFiles } from '../runtime/logs/index.js';
