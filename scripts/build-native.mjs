/**
 * Builds Berth's small C helpers into OUT/native (run by `npm run build`):
 *   berth-hide-mount-exec  runs crun without the cgroup2 mount on hybrid cgroup hosts (native/hide-mount-exec.c)
 *   berth-seccomp-bpf      compiles a seccomp profile with libseccomp, for crun's precompiled filter (native/seccomp-bpf.c)
 *   berth-mountd           mount(2) and umount2(2) for berthd, one process for its whole life (native/mountd.c)
 *   berth-netd             links, addresses, routes (rtnetlink) and nftables rulesets (libnftables, loaded at run
 *                          time) for berthd, one process for its whole life (native/netd.c)
 *   berth-spawnd           starts programs for berthd (runtime commands, conmon) without a fork of berthd
 *                          per program, one process for its whole life (native/spawnd.c)
 * Needs a C compiler and libseccomp-dev. Without them the build goes on: berthd then runs crun through
 * unshare(1) and sh, and lets crun compile seccomp itself (slower, same behaviour).
 *
 *   node scripts/build-native.mjs [OUT]     (OUT defaults to dist)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const out = path.resolve(process.argv[2] ?? 'dist', 'native');
mkdirSync(out, { recursive: true });
const cc = process.env.CC ?? 'cc';
for (const [name, src, libs] of [
  ['berth-hide-mount-exec', 'native/hide-mount-exec.c', []],
  ['berth-seccomp-bpf', 'native/seccomp-bpf.c', ['-lseccomp']],
  ['berth-mountd', 'native/mountd.c', []],
  ['berth-netd', 'native/netd.c', ['-ldl']],
  ['berth-spawnd', 'native/spawnd.c', []],
]) {
  try {
    execFileSync(cc, ['-O2', '-Wall', '-Werror', '-o', path.join(out, name), src, ...libs], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    process.stderr.write(`warning: ${name} not built (${String(e.stderr ?? e.message).trim().split('\n')[0]}); berthd falls back without it\n`);
  }
}
