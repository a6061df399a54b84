/** Definitions of the volume commands (flags and usage only; handlers are loaded lazily). */
import { Option, type Command } from 'commander';
import { boolOption, listOption } from '../opts/flags.js';
import type { BerthCommand } from '../program.js';
import { lazy, type Registry } from './lazy.js';

const vol = () => import('../commands/volumes.js');

type Def = (parent: BerthCommand, name: string, reg: Registry) => Command;

const defs: Record<string, Def> = {
  create: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] [VOLUME]').description('Create a volume');
    c.option('-d, --driver <string>', 'Specify volume driver name', 'local');
    listOption(c, '--label <list>', 'Set metadata for a volume');
    c.addOption(new Option('--name <string>', 'Specify volume name').hideHelp());
    listOption(c, '-o, --opt <map>', 'Set driver specific options');
    return c.action(lazy(reg, { min: 0, max: 1 }, async () => (await vol()).volumeCreate));
  },
  inspect: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] VOLUME [VOLUME...]').description('Display detailed information on one or more volumes');
    c.option('-f, --format <string>', 'Format output using a custom template');
    return c.action(lazy(reg, { min: 1 }, async () => (await vol()).volumeInspect));
  },
  ls: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS]').description('List volumes');
    listOption(c, '-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')");
    c.option('--format <string>', 'Format output using a custom template');
    boolOption(c, '-q, --quiet', 'Only display volume names');
    return c.aliases(['list']).action(lazy(reg, { min: 0, max: 0 }, async () => (await vol()).volumeList));
  },
  prune: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS]').description('Remove unused local volumes');
    boolOption(c, '-a, --all', 'Remove all unused volumes, not just anonymous ones');
    listOption(c, '--filter <filter>', 'Provide filter values (e.g. "label=<label>")');
    boolOption(c, '-f, --force', 'Do not prompt for confirmation');
    return c.action(lazy(reg, { min: 0, max: 0 }, async () => (await vol()).volumePrune));
  },
  rm: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] VOLUME [VOLUME...]').description('Remove one or more volumes');
    boolOption(c, '-f, --force', 'Force the removal of one or more volumes');
    return c.aliases(['remove']).action(lazy(reg, { min: 1 }, async () => (await vol()).volumeRemove));
  },
};

/** `berth volume ...` (registering twice is a no-op). */
export function registerVolumes(program: BerthCommand, reg: Registry): void {
  if (program.commands.some((c) => c.name() === 'volume')) return;
  const volume = program.command('volume').usage('COMMAND').description('Manage volumes') as BerthCommand;
  for (const [name, def] of Object.entries(defs)) def(volume, name, reg);
}
