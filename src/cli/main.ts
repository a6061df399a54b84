/**
 * `berth`: the Docker-compatible CLI. Only commander and the command definitions load at start-up;
 * each command's handler (and the API client) is imported when that command runs.
 */
import { CommanderError } from 'commander';
import { BerthCommand, CliError, fromCommanderError } from './program.js';
import { registerContainers } from './register/containers.js';
import { registerImages } from './register/images.js';
import { registerNetworks } from './register/networks.js';
import { registerVolumes } from './register/volumes.js';
import { registerRegistry } from './register/registry.js';
import { registerSystem } from './register/system.js';
import { registerCompose } from './register/compose.js';
import type { Registry } from './register/lazy.js';
import type { Ctx } from './context.js';

export function buildProgram(reg: Registry): BerthCommand {
  const program = new BerthCommand('berth');
  program
    .usage('[OPTIONS] COMMAND')
    .description('A self-sufficient runtime for containers')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .option('-H, --host <string>', 'Daemon socket to connect to')
    .option('-D, --debug', 'Enable debug mode')
    .option('-l, --log-level <string>', 'Set the logging level ("debug", "info", "warn", "error", "fatal")')
    .option('--config <string>', 'Location of client config files')
    .option('-v, --version', 'Print version information and quit')
    .helpCommand(false);
  registerContainers(program, reg);
  registerImages(program, reg);
  registerNetworks(program, reg);
  registerVolumes(program, reg);
  registerRegistry(program, reg);
  registerSystem(program, reg);
  registerCompose(program, reg);
  return program;
}

/** Runs the CLI; resolves with the exit status. */
export async function main(argv: string[], io: Pick<Ctx, 'stdin' | 'stdout' | 'stderr' | 'env'>): Promise<number> {
  let program: BerthCommand | undefined;
  const reg: Registry = {
    status: 0,
    ctx: () => ({ ...io, hostFlag: program?.opts().host as string | undefined }),
  };
  program = buildProgram(reg);
  program.action(async () => {
    const extra = program?.args ?? [];
    if (extra.length > 0) {
      throw new CliError(1, `berth: unknown command: berth ${extra[0]}\n\nRun 'berth --help' for more information`);
    }
    if (program?.opts().version) {
      const { CLIENT_VERSION } = await import('./commands/system.js');
      io.stdout.write(`Berth version ${CLIENT_VERSION}\n`);
      return;
    }
    program?.outputHelp();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return reg.status;
  } catch (err) {
    let e: unknown = err;
    if (err instanceof CommanderError) e = fromCommanderError(err, undefined);
    if (e instanceof CliError) {
      if (e.message !== '') io.stderr.write(`${e.message}\n`);
      return e.status;
    }
    const { describeError } = await import('../client/errors.js');
    io.stderr.write(`${describeError(e)}\n`);
    return 1;
  }
}

/** Entry point of bin/berth. */
export function cli(): void {
  // a closed pipe on our output (berth ps | head) ends the CLI quietly, as for docker
  for (const out of [process.stdout, process.stderr]) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
    });
  }
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (status) => {
      // let buffered output reach pipes before exiting
      process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
