/**
 * Log rotation (log-opts max-size / max-file): conmon writes one file; while the daemon runs it checks
 * running containers' logs, rotates a file past max-size (path -> path.1 -> ...) and tells conmon to
 * reopen. While the daemon is down logs grow and are rotated at the next check.
 */
import { promises as fsp } from 'node:fs';
import type { Runtime } from '../runtime/runtime.js';
import type { ContainerService } from '../containers/service.js';
import { LogRotator } from '../runtime/logs/index.js';

export class LogRotation {
  private timer?: NodeJS.Timeout;
  readonly maxFile: number;

  constructor(private readonly runtime: Runtime, private readonly containers: ContainerService, private readonly o: { maxSize: number; maxFile: number }) {
    this.maxFile = Math.max(1, o.maxFile || 1);
  }

  start(): void {
    if (!this.o.maxSize) return;
    this.timer = setInterval(() => void this.check(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async check(): Promise<void> {
    for (const rec of this.containers.runningRecords()) {
      const st = await fsp.stat(rec.logPath).catch(() => undefined);
      if (!st || st.size < this.o.maxSize) continue;
      await new LogRotator({ path: rec.logPath, maxSize: this.o.maxSize, maxFile: this.maxFile }).rotate();
      await this.runtime.reopenLog(this.containers.bundleDir(rec.id));
    }
  }
}
