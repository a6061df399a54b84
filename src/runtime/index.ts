export type {
  Runtime, RuntimeState, CreateOptions, ExecOptions, ExecSession, AttachConnection, OutputStream,
} from './runtime.js';
