export { ConmonRuntime, run, runcMessage } from './runtime.js';
export type { RuntimeOptions, CreateOptions, ExecOptions, ExecSession } from './runtime.js';
export { connectAttach } from './attach.js';
export type { AttachConnection, OutputStream } from './attach.js';
