/**
 * Log rotation (max-size / max-file of a container's LogConfig, which carries the daemon's log-opts
 * unless it sets its own; records made before LogConfig was kept use the daemon's): conmon writes one
 * file; while the daemon runs it checks running containers' logs, rotates a file past max-size
 * (path -> path.1 -> ...) and tells conmon to reopen. While the daemon is down logs grow and are
 * rotated at the next check.
 */
import { promises as fsp } from 'node:fs';
import type { Runtime } from '../runtime/runtime.js';
import type { ContainerService } from '../containers/service.js';
import { LogRotator, rotationOf } from '../runtime/logs/index.js';
import type { ContainerRecord } from '../containers/record.js';

export class LogRotation {
  private timer?: NodeJS.Timeout;
  readonly maxFile: number;

  constructor(private readonly runtime: Runtime, private readonly containers: ContainerService, private readonly o: { maxSize: number; maxFile: number }) {
    this.maxFile = Math.max(1, o.maxFile || 1);
  }

  /** max-size (bytes, <= 0: never) and max-file of one container */
  private optsOf(rec: ContainerRecord): { maxSize: number; maxFile: number } {
    const lc = rec.hostConfig.LogConfig;
    if (!lc?.Type) return { maxSize: this.o.maxSize, maxFile: this.maxFile };
    try {
      return rotationOf(lc);
    } catch {
      return { maxSize: -1, maxFile: 1 }; // checked at create: only a hand-edited record gets here
    }
  }

  maxFileOf(rec: ContainerRecord): number {
    return Math.max(1, this.optsOf(rec).maxFile);
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async check(): Promise<void> {
    for (const rec of this.containers.runningRecords()) {
      const o = this.optsOf(rec);
      if (o.maxSize <= 0) continue;
      const st = await fsp.stat(rec.logPath).catch(() => undefined);
      if (!st || st.size < o.maxSize) continue;
      await new LogRotator({ path: rec.logPath, maxSize: o.maxSize, maxFile: Math.max(1, o.maxFile) }).rotate();
      await this.runtime.reopenLog(this.containers.bundleDir(rec.id));
    }
  }
}
