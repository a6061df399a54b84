/**
 * A full garbage collection once the daemon is idle after a heavy request (a build): V8 then compacts its
 * old generation and gives the freed pages back to the system, where it would otherwise keep them for
 * the next allocation (a rebuild of a 2,000-file context left berthd about 10 MB larger; bench/README.md).
 * Only with `--expose-gc` among the daemon's Node flags (DAEMON_NODE_FLAGS); one collection per quiet
 * period, whatever the number of requests.
 */
const QUIET_MS = 500;

let timer: NodeJS.Timeout | undefined;

export function collectWhenIdle(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = undefined;
    gc();
  }, QUIET_MS);
  timer.unref();
}
