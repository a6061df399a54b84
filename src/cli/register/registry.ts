/** `berth registry serve|gc`: Berth's own OCI distribution registry (runs in the CLI process, no daemon needed). */
import { boolOption } from '../opts/flags.js';
import type { BerthCommand } from '../program.js';
import { lazy, type Registry } from './lazy.js';

export function registerRegistry(program: BerthCommand, reg: Registry): void {
  const r = program.command('registry').usage('COMMAND').description('Run an OCI distribution registry') as BerthCommand;
  r.command('serve')
    .usage('[OPTIONS]')
    .description('Serve a registry until interrupted')
    .option('--addr <host:port>', 'Address to listen on', '127.0.0.1:5000')
    .requiredOption('--root <dir>', 'Directory of the registry storage')
    .option('--htpasswd <file>', 'Require basic auth with this htpasswd file (bcrypt entries)')
    .option('--tls-cert <file>', 'Serve https with this certificate')
    .option('--tls-key <file>', 'Key of --tls-cert')
    .action(lazy(reg, { min: 0, max: 0 }, async () => (await import('../commands/registryserver.js')).serve));
  const gc = r.command('gc').usage('[OPTIONS]').description('Remove blobs no manifest references')
    .requiredOption('--root <dir>', 'Directory of the registry storage')
    .option('--grace-period <seconds>', 'Keep unreferenced blobs younger than this (pushes in progress)', '3600');
  boolOption(gc, '--dry-run', 'Only print what would be removed');
  gc.action(lazy(reg, { min: 0, max: 0 }, async () => (await import('../commands/registryserver.js')).gc));
}
