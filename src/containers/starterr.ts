/**
 * What a failed start means, as moby's translateContainerdStartErr: a command that is missing (127) or
 * cannot be run (126), or a bind of a file onto a folder (127), is the user's error (400); anything else
 * is the engine's (500), with exit code 128.
 */
import { BerthError } from '../core/errors.js';

export interface StartFailure {
  /** what the container's State.Error keeps */
  message: string;
  exitCode: number;
  /** what the API answers */
  error: BerthError;
}

export function startFailure(e: unknown, command: string): StartFailure {
  const msg = e instanceof Error ? e.message : String(e);
  // an error of a kind (a port taken, a missing network) is answered as that kind
  if (e instanceof BerthError && e.kind !== 'Internal') return { message: msg, exitCode: 128, error: e };
  const wrapped = `failed to create task for container: OCI runtime create failed: ${msg}: unknown`;
  const missing = msg.includes(command) && /executable file not found|no such file or directory/.test(msg);
  if (missing || /not a directory/.test(msg)) {
    const text = /not a directory/.test(msg) && !missing
      ? `${wrapped}: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type`
      : wrapped;
    return { message: msg, exitCode: 127, error: new BerthError('InvalidArgument', text, { cause: e }) };
  }
  if (/permission denied/.test(msg)) return { message: msg, exitCode: 126, error: new BerthError('InvalidArgument', wrapped, { cause: e }) };
  return { message: msg, exitCode: 128, error: new BerthError('Internal', wrapped, { cause: e }) };
}
