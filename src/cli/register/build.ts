/** Definitions of `build`, `image build`, `builder build` and `builder prune` (handlers load lazily). */
import type { Command } from 'commander';
import { boolOption, listOption } from '../opts/flags.js';
import type { BerthCommand } from '../program.js';
import { lazy, type Registry } from './lazy.js';

const cmds = () => import('../commands/build.js');

function buildDef(p: BerthCommand, name: string, reg: Registry): Command {
  const c = p.command(name).usage('[OPTIONS] PATH | URL | -').description('Build an image from a Dockerfile');
  listOption(c, '-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format');
  c.option('-f, --file <string>', "Name of the Dockerfile (Default is 'PATH/Dockerfile')");
  listOption(c, '--build-arg <list>', 'Set build-time variables');
  c.option('--target <string>', 'Set the target build stage to build.');
  boolOption(c, '--no-cache', 'Do not use cache when building the image');
  boolOption(c, '--pull', 'Always attempt to pull a newer version of the image');
  listOption(c, '--label <list>', 'Set metadata for an image');
  c.option('--network <string>', 'Set the networking mode for the RUN instructions during build', 'default');
  listOption(c, '--add-host <list>', 'Add a custom host-to-IP mapping ("host:ip")');
  boolOption(c, '-q, --quiet', 'Suppress the build output and print image ID on success');
  c.option('--iidfile <string>', 'Write the image ID to the file');
  listOption(c, '--cache-from <strings>', 'Images to consider as cache sources');
  c.option('--progress <string>', 'Set type of progress output ("auto", "plain", "tty", "quiet")', 'auto');
  c.option('--rm [bool]', 'Remove intermediate containers after a successful build', (v: string) => v !== 'false', true);
  boolOption(c, '--force-rm', 'Always remove intermediate containers');
  c.option('--platform <string>', 'Set platform if server is multi-platform capable');
  c.option('--shm-size <bytes>', 'Size of "/dev/shm"');
  c.option('-m, --memory <bytes>', 'Memory limit');
  c.option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap');
  c.option('-c, --cpu-shares <int>', 'CPU shares (relative weight)');
  c.option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)');
  c.option('--cpu-period <int>', 'Limit the CPU CFS (Completely Fair Scheduler) period');
  c.option('--cpu-quota <int>', 'Limit the CPU CFS (Completely Fair Scheduler) quota');
  return c.action(lazy(reg, { min: 1, max: 1 }, async () => (await cmds()).build));
}

export function registerBuild(program: BerthCommand, reg: Registry): void {
  buildDef(program, 'build', reg);
  const image = program.commands.find((c) => c.name() === 'image') as BerthCommand | undefined;
  if (image) buildDef(image, 'build', reg);
  const builder = program.command('builder').usage('COMMAND').description('Manage builds') as BerthCommand;
  buildDef(builder, 'build', reg);
  const prune = builder.command('prune').usage('[OPTIONS]').description('Remove build cache');
  boolOption(prune, '-a, --all', 'Remove all unused build cache, not just dangling ones');
  boolOption(prune, '-f, --force', 'Do not prompt for confirmation');
  listOption(prune, '--filter <filter>', 'Provide filter values (e.g. "until=24h")');
  prune.option('--keep-storage <bytes>', 'Amount of disk space to keep for cache');
  prune.action(lazy(reg, { min: 0, max: 0 }, async () => (await cmds()).builderPrune));
}
