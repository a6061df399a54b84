export { ConmonRuntime, run, runcMessage } from './runtime.js';
export type { RuntimeOptions } from './runtime.js';
export { connectAttach } from './attach.js';
