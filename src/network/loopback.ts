/** Bring up `lo` in a container's fresh network namespace (runc leaves it down; Docker's none mode has it up). */
import { run } from '../runtime/conmon/index.js';

export async function loopbackUp(pid: number): Promise<void> {
  await run('nsenter', ['-t', String(pid), '-n', 'ip', 'link', 'set', 'lo', 'up']);
}
