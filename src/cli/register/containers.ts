/** Definitions of the container commands (flags and usage only; handlers are loaded lazily). */
import type { Command } from 'commander';
import { addContainerFlags } from '../opts/run-flags.js';
import { boolOption, listOption } from '../opts/flags.js';
import type { BerthCommand } from '../program.js';
import { lazy, type Registry } from './lazy.js';

const runMod = () => import('../commands/run.js');
const life = () => import('../commands/lifecycle.js');
const streams = () => import('../commands/streams.js');
const fsCmds = () => import('../commands/filesystem.js');
const stats = () => import('../commands/stats.js');

type Def = (parent: BerthCommand, name: string, reg: Registry) => Command;

const defs: Record<string, Def> = {
  run: (p, n, reg) =>
    addContainerFlags((p.command(n) as BerthCommand).positionalEnd().usage('[OPTIONS] IMAGE [COMMAND] [ARG...]').description('Create and run a new container from an image'), true).action(
      lazy(reg, { min: 1 }, async () => (await runMod()).run),
    ),
  create: (p, n, reg) =>
    addContainerFlags((p.command(n) as BerthCommand).positionalEnd().usage('[OPTIONS] IMAGE [COMMAND] [ARG...]').description('Create a new container'), false).action(
      lazy(reg, { min: 1 }, async () => (await runMod()).create),
    ),
  start: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] CONTAINER [CONTAINER...]').description('Start one or more stopped containers');
    boolOption(c, '-a, --attach', 'Attach STDOUT/STDERR and forward signals');
    boolOption(c, '-i, --interactive', "Attach container's STDIN");
    c.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
    return c.action(lazy(reg, { min: 1 }, async () => (await life()).start));
  },
  stop: (p, n, reg) =>
    p
      .command(n)
      .usage('[OPTIONS] CONTAINER [CONTAINER...]')
      .description('Stop one or more running containers')
      .option('-t, --time <int>', 'Seconds to wait before killing the container')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .action(lazy(reg, { min: 1 }, async () => (await life()).stop)),
  restart: (p, n, reg) =>
    p
      .command(n)
      .usage('[OPTIONS] CONTAINER [CONTAINER...]')
      .description('Restart one or more containers')
      .option('-t, --time <int>', 'Seconds to wait before killing the container')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .action(lazy(reg, { min: 1 }, async () => (await life()).restart)),
  kill: (p, n, reg) =>
    p
      .command(n)
      .usage('[OPTIONS] CONTAINER [CONTAINER...]')
      .description('Kill one or more running containers')
      .option('-s, --signal <string>', 'Signal to send to the container')
      .action(lazy(reg, { min: 1 }, async () => (await life()).kill)),
  pause: (p, n, reg) =>
    p
      .command(n)
      .usage('CONTAINER [CONTAINER...]')
      .description('Pause all processes within one or more containers')
      .action(lazy(reg, { min: 1 }, async () => (await life()).pause)),
  unpause: (p, n, reg) =>
    p
      .command(n)
      .usage('CONTAINER [CONTAINER...]')
      .description('Unpause all processes within one or more containers')
      .action(lazy(reg, { min: 1 }, async () => (await life()).unpause)),
  rm: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] CONTAINER [CONTAINER...]').description('Remove one or more containers');
    boolOption(c, '-f, --force', 'Force the removal of a running container (uses SIGKILL)');
    boolOption(c, '-v, --volumes', 'Remove anonymous volumes associated with the container');
    boolOption(c, '-l, --link', 'Remove the specified link');
    return c.action(lazy(reg, { min: 1 }, async () => (await life()).rm));
  },
  ps: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS]').description('List containers');
    boolOption(c, '-a, --all', 'Show all containers (default shows just running)');
    boolOption(c, '-q, --quiet', 'Only display container IDs');
    c.option('-n, --last <int>', 'Show n last created containers (includes all states)');
    boolOption(c, '-l, --latest', 'Show the latest created container (includes all states)');
    listOption(c, '-f, --filter <filter>', 'Filter output based on conditions provided');
    c.option('--format <string>', 'Format output using a custom template');
    c.option('--no-trunc', "Don't truncate output");
    boolOption(c, '-s, --size', 'Display total file sizes');
    return c.action(lazy(reg, { min: 0, max: 0 }, async () => (await import('../commands/ps.js')).ps));
  },
  logs: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] CONTAINER').description('Fetch the logs of a container');
    boolOption(c, '-f, --follow', 'Follow log output');
    c.option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)');
    c.option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)');
    c.option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all');
    boolOption(c, '-t, --timestamps', 'Show timestamps');
    boolOption(c, '--details', 'Show extra details provided to logs');
    return c.action(lazy(reg, { min: 1, max: 1 }, async () => (await streams()).logs));
  },
  exec: (p, n, reg) => {
    const c = (p.command(n) as BerthCommand).positionalEnd().usage('[OPTIONS] CONTAINER COMMAND [ARG...]').description('Execute a command in a running container');
    boolOption(c, '-d, --detach', 'Detached mode: run command in the background');
    boolOption(c, '-i, --interactive', 'Keep STDIN open even if not attached');
    boolOption(c, '-t, --tty', 'Allocate a pseudo-TTY');
    listOption(c, '-e, --env <list>', 'Set environment variables');
    listOption(c, '--env-file <list>', 'Read in a file of environment variables');
    c.option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")');
    c.option('-w, --workdir <string>', 'Working directory inside the container');
    boolOption(c, '--privileged', 'Give extended privileges to the command');
    c.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
    return c.action(lazy(reg, { min: 2 }, async () => (await streams()).exec));
  },
  attach: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] CONTAINER').description("Attach local standard input, output, and error streams to a running container");
    c.option('--no-stdin', 'Do not attach STDIN');
    boolOption(c, '--sig-proxy', 'Proxy all received signals to the process (default true)');
    c.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
    return c.action(lazy(reg, { min: 1, max: 1 }, async () => (await streams()).attach));
  },
  wait: (p, n, reg) =>
    p
      .command(n)
      .usage('CONTAINER [CONTAINER...]')
      .description('Block until one or more containers stop, then print their exit codes')
      .action(lazy(reg, { min: 1 }, async () => (await life()).wait)),
  top: (p, n, reg) =>
    (p.command(n) as BerthCommand)
      .positionalEnd()
      .usage('CONTAINER [ps OPTIONS]')
      .description('Display the running processes of a container')
      .action(lazy(reg, { min: 1 }, async () => (await life()).top)),
  stats: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] [CONTAINER...]').description('Display a live stream of container(s) resource usage statistics');
    boolOption(c, '-a, --all', 'Show all containers (default shows just running)');
    c.option('--format <string>', 'Format output using a custom template');
    c.option('--no-stream', 'Disable streaming stats and only pull the first result');
    c.option('--no-trunc', 'Do not truncate output');
    return c.action(lazy(reg, { min: 0 }, async () => (await stats()).stats));
  },
  update: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] CONTAINER [CONTAINER...]').description('Update configuration of one or more containers');
    c.option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)');
    c.option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period');
    c.option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota');
    c.option('--cpu-rt-period <int>', 'Limit the CPU real-time period in microseconds');
    c.option('--cpu-rt-runtime <int>', 'Limit the CPU real-time runtime in microseconds');
    c.option('-c, --cpu-shares <int>', 'CPU shares (relative weight)');
    c.option('--cpus <decimal>', 'Number of CPUs');
    c.option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)');
    c.option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)');
    c.option('-m, --memory <bytes>', 'Memory limit');
    c.option('--memory-reservation <bytes>', 'Memory soft limit');
    c.option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap');
    c.option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)');
    c.option('--restart <string>', 'Restart policy to apply when a container exits');
    return c.action(lazy(reg, { min: 1 }, async () => (await stats()).update));
  },
  rename: (p, n, reg) =>
    p
      .command(n)
      .usage('CONTAINER NEW_NAME')
      .description('Rename a container')
      .action(lazy(reg, { min: 2, max: 2 }, async () => (await life()).rename)),
  cp: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n  berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH').description('Copy files/folders between a container and the local filesystem');
    boolOption(c, '-a, --archive', 'Archive mode (copy all uid/gid information)');
    boolOption(c, '-L, --follow-link', 'Always follow symbol link in SRC_PATH');
    boolOption(c, '-q, --quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached');
    return c.action(lazy(reg, { min: 2, max: 2 }, async () => (await fsCmds()).cp));
  },
  export: (p, n, reg) =>
    p
      .command(n)
      .usage('[OPTIONS] CONTAINER')
      .description("Export a container's filesystem as a tar archive")
      .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
      .action(lazy(reg, { min: 1, max: 1 }, async () => (await fsCmds()).exportCmd)),
  diff: (p, n, reg) =>
    p
      .command(n)
      .usage('CONTAINER')
      .description("Inspect changes to files or directories on a container's filesystem")
      .action(lazy(reg, { min: 1, max: 1 }, async () => (await fsCmds()).diff)),
  commit: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] CONTAINER [REPOSITORY[:TAG]]').description("Create a new image from a container's changes");
    c.option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")');
    listOption(c, '-c, --change <list>', 'Apply Dockerfile instruction to the created image');
    c.option('-m, --message <string>', 'Commit message');
    boolOption(c, '-p, --pause', 'Pause container during commit (default true)');
    return c.action(lazy(reg, { min: 1, max: 2 }, async () => (await fsCmds()).commit));
  },
};

function inspectDef(p: BerthCommand, n: string, reg: Registry, type: 'container' | 'image' | undefined): Command {
  const c = p.command(n).usage(`[OPTIONS] ${type ? type.toUpperCase() : 'NAME|ID'} [${type ? type.toUpperCase() : 'NAME|ID'}...]`).description(`Display detailed information on ${type ? `one or more ${type}s` : 'Docker objects'}`);
  c.option('-f, --format <string>', 'Format output using a custom template');
  boolOption(c, '-s, --size', 'Display total file sizes if the type is container');
  if (!type) c.option('--type <string>', 'Only inspect objects of the given type');
  return c.action(lazy(reg, { min: 1 }, async () => (await import('../commands/inspect.js')).inspect, type ? { type } : {}));
}
export { inspectDef };

export function registerContainers(program: BerthCommand, reg: Registry): void {
  for (const [name, def] of Object.entries(defs)) def(program, name, reg);
  inspectDef(program, 'inspect', reg, undefined);

  const container = program.command('container').usage('COMMAND').description('Manage containers') as BerthCommand;
  for (const [name, def] of Object.entries(defs)) def(container, name, reg);
  (container.commands.find((c) => c.name() === 'ps') as Command).aliases(['ls', 'list']);
  (container.commands.find((c) => c.name() === 'rm') as Command).aliases(['remove']);
  inspectDef(container, 'inspect', reg, 'container');
  const prune = container.command('prune').usage('[OPTIONS]').description('Remove all stopped containers');
  boolOption(prune, '-f, --force', 'Do not prompt for confirmation');
  listOption(prune, '--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")');
  prune.action(lazy(reg, { min: 0, max: 0 }, async () => (await import('../commands/prune.js')).containerPrune));
}
