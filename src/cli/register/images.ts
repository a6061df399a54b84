/** Definitions of the image commands (flags and usage only; handlers are loaded lazily). */
import type { Command } from 'commander';
import { boolOption, listOption } from '../opts/flags.js';
import type { BerthCommand } from '../program.js';
import { inspectDef } from './containers.js';
import { lazy, type Registry } from './lazy.js';

const img = () => import('../commands/images.js');
const reg_ = () => import('../commands/registry.js');

type Def = (parent: BerthCommand, name: string, reg: Registry) => Command;

const list: Def = (p, n, reg) => {
  const c = p.command(n).usage('[OPTIONS] [REPOSITORY[:TAG]]').description('List images');
  boolOption(c, '-a, --all', 'Show all images (default hides intermediate images)');
  boolOption(c, '-q, --quiet', 'Only show image IDs');
  boolOption(c, '--digests', 'Show digests');
  listOption(c, '-f, --filter <filter>', 'Filter output based on conditions provided');
  c.option('--format <string>', 'Format output using a custom template');
  c.option('--no-trunc', "Don't truncate output");
  return c.action(lazy(reg, { min: 0, max: 1 }, async () => (await img()).images));
};

const rm: Def = (p, n, reg) => {
  const c = p.command(n).usage('[OPTIONS] IMAGE [IMAGE...]').description('Remove one or more images');
  boolOption(c, '-f, --force', 'Force removal of the image');
  c.option('--no-prune', 'Do not delete untagged parents');
  return c.action(lazy(reg, { min: 1 }, async () => (await img()).rmi));
};

const defs: Record<string, Def> = {
  tag: (p, n, reg) =>
    p
      .command(n)
      .usage('SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]')
      .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
      .action(lazy(reg, { min: 2, max: 2 }, async () => (await img()).tag)),
  import: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] file|URL|- [REPOSITORY[:TAG]]').description('Import the contents from a tarball to create a filesystem image');
    listOption(c, '-c, --change <list>', 'Apply Dockerfile instruction to the created image');
    c.option('-m, --message <string>', 'Set commit message for imported image');
    c.option('--platform <string>', 'Set platform if server is multi-platform capable');
    return c.action(lazy(reg, { min: 1, max: 2 }, async () => (await img()).importImage));
  },
  load: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS]').description('Load an image from a tar archive or STDIN');
    c.option('-i, --input <string>', 'Read from tar archive file, instead of STDIN');
    boolOption(c, '-q, --quiet', 'Suppress the load output');
    return c.action(lazy(reg, { min: 0, max: 0 }, async () => (await img()).load));
  },
  history: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] IMAGE').description('Show the history of an image');
    c.option('--format <string>', 'Format output using a custom template');
    c.option('-H, --human [bool]', 'Print sizes and dates in human readable format', (v: string) => v !== 'false', true);
    c.option('--no-trunc', "Don't truncate output");
    boolOption(c, '-q, --quiet', 'Only show image IDs');
    return c.action(lazy(reg, { min: 1, max: 1 }, async () => (await img()).history));
  },
  pull: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] NAME[:TAG|@DIGEST]').description('Download an image from a registry');
    boolOption(c, '-a, --all-tags', 'Download all tagged images in the repository');
    c.option('--platform <string>', 'Set platform if server is multi-platform capable');
    boolOption(c, '-q, --quiet', 'Suppress verbose output');
    boolOption(c, '--disable-content-trust', 'Skip image verification (default true)');
    return c.action(lazy(reg, { min: 1, max: 1 }, async () => (await reg_()).pull));
  },
  push: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] NAME[:TAG]').description('Upload an image to a registry');
    boolOption(c, '-a, --all-tags', 'Push all tags of an image to the repository');
    c.option('--platform <string>', 'Push a platform-specific manifest as a single-platform image');
    boolOption(c, '-q, --quiet', 'Suppress verbose output');
    boolOption(c, '--disable-content-trust', 'Skip image signing (default true)');
    return c.action(lazy(reg, { min: 1, max: 1 }, async () => (await reg_()).push));
  },
  save: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] IMAGE [IMAGE...]').description('Save one or more images to a tar archive (streamed to STDOUT by default)');
    c.option('-o, --output <string>', 'Write to a file, instead of STDOUT');
    return c.action(lazy(reg, { min: 1 }, async () => (await img()).save));
  },
};

export function registerImages(program: BerthCommand, reg: Registry): void {
  list(program, 'images', reg);
  rm(program, 'rmi', reg);
  for (const [name, def] of Object.entries(defs)) def(program, name, reg);

  const login = program.command('login').usage('[OPTIONS] [SERVER]').description('Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.');
  login.option('-u, --username <string>', 'Username');
  login.option('-p, --password <string>', 'Password or Personal Access Token (PAT)');
  boolOption(login, '--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin');
  login.action(lazy(reg, { min: 0, max: 1 }, async () => (await reg_()).login));
  program
    .command('logout')
    .usage('[SERVER]')
    .description('Log out from a registry.\nIf no server is specified, the default is defined by the daemon.')
    .action(lazy(reg, { min: 0, max: 1 }, async () => (await reg_()).logout));

  const image = program.command('image').usage('COMMAND').description('Manage images') as BerthCommand;
  list(image, 'ls', reg).aliases(['list', 'images']);
  rm(image, 'rm', reg).aliases(['remove', 'rmi']);
  for (const [name, def] of Object.entries(defs)) def(image, name, reg);
  inspectDef(image, 'inspect', reg, 'image');
  const prune = image.command('prune').usage('[OPTIONS]').description('Remove unused images');
  boolOption(prune, '-a, --all', 'Remove all unused images, not just dangling ones');
  boolOption(prune, '-f, --force', 'Do not prompt for confirmation');
  listOption(prune, '--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")');
  prune.action(lazy(reg, { min: 0, max: 0 }, async () => (await img()).imagePrune));
}
