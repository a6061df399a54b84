/** Definitions of version, info, events, system (info, events, df, prune) and bootstrap. */
import type { Command } from 'commander';
import { boolOption, listOption } from '../opts/flags.js';
import type { BerthCommand } from '../program.js';
import { lazy, type Registry } from './lazy.js';

const sys = () => import('../commands/system.js');

type Def = (parent: BerthCommand, name: string, reg: Registry) => Command;

const info: Def = (p, n, reg) =>
  p
    .command(n)
    .usage('[OPTIONS]')
    .description('Display system-wide information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(lazy(reg, { min: 0, max: 0 }, async () => (await sys()).info));

const events: Def = (p, n, reg) => {
  const c = p.command(n).usage('[OPTIONS]').description('Get real time events from the server');
  c.option('--since <string>', 'Show all events created since timestamp');
  c.option('--until <string>', 'Stream events until this timestamp');
  listOption(c, '-f, --filter <filter>', 'Filter output based on conditions provided');
  c.option('--format <string>', 'Format output using a custom template');
  return c.action(lazy(reg, { min: 0, max: 0 }, async () => (await sys()).events));
};

export function registerSystem(program: BerthCommand, reg: Registry): void {
  program
    .command('version')
    .usage('[OPTIONS]')
    .description('Show the Berth version information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(lazy(reg, { min: 0, max: 0 }, async () => (await sys()).version));
  info(program, 'info', reg);
  events(program, 'events', reg);
  const system = program.command('system').usage('COMMAND').description('Manage Berth') as BerthCommand;
  info(system, 'info', reg);
  events(system, 'events', reg);
  system
    .command('df')
    .usage('[OPTIONS]')
    .description('Show docker disk usage')
    .option('--format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Show detailed information on space usage')
    .action(lazy(reg, { min: 0, max: 0 }, async () => (await sys()).df));
  const prune = system.command('prune').usage('[OPTIONS]').description('Remove unused data');
  boolOption(prune, '-a, --all', 'Remove all unused images not just dangling ones');
  listOption(prune, '--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")');
  boolOption(prune, '-f, --force', 'Do not prompt for confirmation');
  boolOption(prune, '--volumes', 'Prune anonymous volumes');
  prune.action(lazy(reg, { min: 0, max: 0 }, async () => (await import('../commands/prune.js')).systemPrune));
  program
    .command('bootstrap')
    .usage('IMAGE')
    .description('Build a built-in image locally (busybox)')
    .action(lazy(reg, { min: 1, max: 1 }, async () => (await import('../commands/bootstrap.js')).bootstrap));
}
