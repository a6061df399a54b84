/**
 * Where Berth's C helpers are (scripts/build-native.mjs builds them into <out>/native): beside the compiled
 * tree, two levels above both the bundle (dist/bundle/daemon) and the module tree (dist/src/runtime).
 * BERTH_NATIVE_DIR overrides it. Undefined when a helper was not built (no C compiler): callers fall back.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type NativeHelper = 'berth-hide-mount-exec' | 'berth-seccomp-bpf' | 'berth-mountd' | 'berth-netd' | 'berth-spawnd';

/**
 * The process-wide instance of a kept helper, made on first use from its path; null when it was not built
 * or `disabled()` says so (then its callers fall back).
 */
export function sharedHelper<T>(name: NativeHelper, disabled: () => boolean, make: (helper: string) => T): () => T | null {
  let shared: T | null | undefined;
  return () => {
    if (shared === undefined) {
      const helper = disabled() ? undefined : nativeHelper(name);
      shared = helper ? make(helper) : null;
    }
    return shared;
  };
}

export function nativeHelper(name: NativeHelper): string | undefined {
  const dir = process.env.BERTH_NATIVE_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../native');
  const p = path.join(dir, name);
  try {
    accessSync(p, constants.X_OK);
    return p;
  } catch {
    return undefined;
  }
}
