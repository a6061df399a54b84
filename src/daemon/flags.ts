/**
 * berthd's command line, with dockerd's flag names, parsed by node:util's parseArgs (no CLI framework
 * in the daemon: it stays small in memory).
 */
import { parseArgs } from 'node:util';
import type { FlagValues } from './config.js';

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

const options = {
  host: { type: 'string', short: 'H', multiple: true },
  'data-root': { type: 'string' },
  'exec-root': { type: 'string' },
  pidfile: { type: 'string', short: 'p' },
  'config-file': { type: 'string' },
  'log-level': { type: 'string', short: 'l' },
  bridge: { type: 'string', short: 'b' },
  bip: { type: 'string' },
  'userns-remap': { type: 'string' },
  'add-runtime': { type: 'string', multiple: true },
  'default-runtime': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export const USAGE = `Usage: berthd [OPTIONS]

Berth daemon: serves the Docker Engine API

Options:
  -H, --host <socket>           daemon socket to listen on (unix:///path; repeatable)
      --data-root <dir>         root directory of persistent state (default /var/lib/berth)
      --exec-root <dir>         root directory of execution state (default /run/berth)
  -p, --pidfile <file>          path to use for the daemon PID file
      --config-file <file>      daemon configuration file (default ${DEFAULT_CONFIG_FILE})
  -l, --log-level <level>       logging level (debug, info, warn, error, fatal)
  -b, --bridge <name>           attach containers to a network bridge
      --bip <cidr>              network address of the default bridge
      --userns-remap <user>     user/group setting for user namespaces
      --add-runtime <name=path> register an additional OCI compatible runtime (repeatable)
      --default-runtime <name>  default OCI runtime for containers (default: crun where it works, else runc)
  -h, --help                    print this help
  -v, --version                 print the version
`;

export type DaemonArgs =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; flags: FlagValues; configFile: string; configFileGiven: boolean };

/** Parses berthd's arguments (without node and the script); throws on unknown flags or stray arguments. */
export function parseDaemonArgs(args: string[]): DaemonArgs {
  let v: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];
  let positionals: string[];
  try {
    ({ values: v, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true }));
  } catch (e) {
    throw new Error(`${(e as Error).message.replace(/\. To specify.*$/s, '')}\nSee 'berthd --help'.`);
  }
  if (positionals.length) throw new Error(`berthd takes no arguments (got "${positionals[0]}")\nSee 'berthd --help'.`);
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  return {
    kind: 'run',
    flags: {
      host: v.host, dataRoot: v['data-root'], execRoot: v['exec-root'], pidfile: v.pidfile, logLevel: v['log-level'],
      bridge: v.bridge, bip: v.bip, usernsRemap: v['userns-remap'],
      ...(v['add-runtime'] ? { addRuntime: v['add-runtime'] } : {}),
      ...(v['default-runtime'] !== undefined ? { defaultRuntime: v['default-runtime'] } : {}),
    },
    configFile: v['config-file'] ?? DEFAULT_CONFIG_FILE,
    configFileGiven: v['config-file'] !== undefined,
  };
}
