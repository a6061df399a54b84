/**
 * Deletions of a runtime's state held back until a container's exit (and, for `--rm`, its removal) is
 * reported: `hold` at the teardown, `flush` once the report is out, which starts the delete in the
 * background. Its process then does not compete with the report. A later create of the same container
 * waits for the delete (ConmonRuntime.delete).
 */
export class DeferredDeletes {
  private readonly held = new Set<string>();

  constructor(private readonly start: (id: string) => Promise<void>, private readonly log: (m: string) => void) {}

  hold(id: string): void {
    this.held.add(id);
  }

  flush(id: string): void {
    if (this.held.delete(id)) void this.start(id).catch((e: unknown) => this.log(`runtime delete ${id}: ${(e as Error).message}`));
  }
}
