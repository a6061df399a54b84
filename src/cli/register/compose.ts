/**
 * Definitions of `berth compose ...` (flags and usage only). The Compose code (loader, planner, engine)
 * is loaded only when a compose command runs, so `berth` start-up stays small.
 */
import { Option, type Command } from 'commander';
import { boolOption, collect, listOption } from '../opts/flags.js';
import { checkArgs } from '../program.js';
import type { BerthCommand } from '../program.js';
import type { Registry } from './lazy.js';

const load = () => import('../compose/index.js');

/** Runs a compose subcommand with its own flags and the `compose` command's (under `global`). */
function handler(reg: Registry, name: string, min = 0, max = Infinity) {
  return async function (this: Command): Promise<void> {
    checkArgs(this, this.args, min, max);
    const global = this.parent?.opts() ?? {};
    const { runCompose } = await load();
    reg.status = await runCompose(name, reg.ctx(), [...this.args], { ...this.opts() }, global);
  };
}

type Def = (c: Command) => void;

const svcArgs = '[OPTIONS] [SERVICE...]';

const defs: Record<string, [string, string, Def?, number?, number?]> = {
  up: [svcArgs, 'Create and start containers', (c) => {
    boolOption(c, '-d, --detach', 'Detached mode: Run containers in the background');
    c.option('--build', 'Build images before starting containers');
    c.option('--no-build', "Don't build an image, even if it's policy");
    c.option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never")', 'policy');
    boolOption(c, '--force-recreate', "Recreate containers even if their configuration and image haven't changed");
    c.option('--no-recreate', "If containers already exist, don't recreate them");
    c.option('--no-deps', "Don't start linked services");
    c.option('--no-start', "Don't start the services after creating them");
    boolOption(c, '--remove-orphans', 'Remove containers for services not defined in the Compose file');
    listOption(c, '--scale <SERVICE=NUM>', 'Scale SERVICE to NUM instances');
    boolOption(c, '--wait', 'Wait for services to be running|healthy. Implies detached mode');
    c.option('--wait-timeout <seconds>', 'Maximum duration in seconds to wait for the project to be running|healthy');
    boolOption(c, '--abort-on-container-exit', 'Stops all containers if any container was stopped');
    c.option('--exit-code-from <service>', 'Return the exit code of the selected service container');
    listOption(c, '--attach <service>', 'Restrict attaching to the specified services');
    // a repeatable flag that merely starts with "no-": not commander's negation of --attach
    const noAttach = new Option('--no-attach <service>', 'Do not attach (stream logs) to the specified services').argParser(collect);
    noAttach.negate = false;
    noAttach.attributeName = () => 'noAttach';
    c.addOption(noAttach);
    boolOption(c, '--attach-dependencies', 'Automatically attach to log output of dependent services');
    c.option('-t, --timeout <seconds>', 'Use this timeout in seconds for container shutdown');
    c.option('--no-color', 'Produce monochrome output');
    c.option('--no-log-prefix', "Don't print prefix in logs");
    boolOption(c, '--quiet-pull', 'Pull without printing progress information');
    boolOption(c, '-y, --yes', 'Assume "yes" as answer to all prompts');
  }],
  down: ['[OPTIONS] [SERVICES]', 'Stop and remove containers, networks', (c) => {
    boolOption(c, '-v, --volumes', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers');
    c.option('--rmi <type>', 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")');
    boolOption(c, '--remove-orphans', 'Remove containers for services not defined in the Compose file');
    c.option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds');
  }],
  ps: [svcArgs, 'List containers', (c) => {
    boolOption(c, '-a, --all', 'Show all stopped containers (including those created by the run command)');
    boolOption(c, '-q, --quiet', 'Only display IDs');
    boolOption(c, '--services', 'Display services');
    listOption(c, '--status <status>', 'Filter services by status');
    listOption(c, '--filter <filter>', 'Filter services by a property (supported filters: status)');
    c.option('--format <format>', 'Format output using a custom template ("table"|"json"|TEMPLATE)', 'table');
    c.option('--no-trunc', "Don't truncate output");
    boolOption(c, '--orphans', 'Include orphaned services (not declared by project)');
  }],
  logs: [svcArgs, 'View output from containers', (c) => {
    boolOption(c, '-f, --follow', 'Follow log output');
    boolOption(c, '-t, --timestamps', 'Show timestamps');
    c.option('-n, --tail <n>', 'Number of lines to show from the end of the logs for each container', 'all');
    c.option('--since <string>', 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)');
    c.option('--until <string>', 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)');
    c.option('--no-color', 'Produce monochrome output');
    c.option('--no-log-prefix', "Don't print prefix in logs");
    c.option('--index <n>', 'index of the container if service has multiple replicas');
  }],
  exec: ['[OPTIONS] SERVICE COMMAND [ARGS...]', 'Execute a command in a running container', (c) => {
    boolOption(c, '-d, --detach', 'Detached mode: Run command in the background');
    c.option('-T, --no-TTY', 'Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY');
    listOption(c, '-e, --env <KEY=VAL>', 'Set environment variables');
    c.option('-w, --workdir <dir>', 'Path to workdir directory for this command');
    c.option('-u, --user <user>', 'Run the command as this user');
    c.option('--index <n>', 'Index of the container if service has multiple replicas', '1');
    boolOption(c, '--privileged', 'Give extended privileges to the process');
    boolOption(c, '-i, --interactive', 'Keep STDIN open even if not attached');
    (c as BerthCommand).positionalEnd();
  }, 2],
  run: ['[OPTIONS] SERVICE [COMMAND] [ARGS...]', 'Run a one-off command on a service', (c) => {
    boolOption(c, '--rm', 'Automatically remove the container when it exits');
    boolOption(c, '-d, --detach', 'Run container in background and print container ID');
    c.option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: auto-detected)');
    listOption(c, '-e, --env <KEY=VAL>', 'Set environment variables');
    listOption(c, '-v, --volume <volume>', 'Bind mount a volume');
    listOption(c, '-p, --publish <port>', "Publish a container's port(s) to the host");
    listOption(c, '-l, --label <label>', 'Add or override a label');
    boolOption(c, '--service-ports', "Run command with all service's ports enabled and mapped to the host");
    c.option('--no-deps', "Don't start linked services");
    c.option('--entrypoint <cmd>', 'Override the entrypoint of the image');
    c.option('--name <name>', 'Assign a name to the container');
    c.option('-w, --workdir <dir>', 'Working directory inside the container');
    c.option('-u, --user <user>', 'Run as specified username or uid');
    boolOption(c, '-i, --interactive', 'Keep STDIN open even if not attached');
    c.option('--build', 'Build image before starting container');
    boolOption(c, '--remove-orphans', 'Remove containers for services not defined in the Compose file');
    boolOption(c, '-q, --quiet-pull', 'Pull without printing progress information');
    (c as BerthCommand).positionalEnd();
  }, 1],
  config: [svcArgs, 'Parse, resolve and render compose file in canonical format', (c) => {
    boolOption(c, '--services', 'Print the service names, one per line');
    boolOption(c, '--volumes', 'Print the volume names, one per line');
    boolOption(c, '--networks', 'Print the network names, one per line');
    boolOption(c, '--profiles', 'Print the profile names, one per line');
    boolOption(c, '--images', 'Print the image names, one per line');
    c.option('--hash <services>', 'Print the service config hash, one per line ("*" for all)');
    c.option('--format <format>', 'Format the output ("yaml"|"json")', 'yaml');
    c.option('-o, --output <file>', 'Save to file (default to stdout)');
    boolOption(c, '-q, --quiet', 'Only validate the configuration, don\'t print anything');
    c.option('--no-interpolate', "Don't interpolate environment variables");
    c.option('--no-normalize', "Don't normalize compose model");
    boolOption(c, '--environment', 'Print environment used for interpolation');
  }],
  build: [svcArgs, 'Build or rebuild services', (c) => {
    c.option('--no-cache', 'Do not use cache when building the image');
    boolOption(c, '--pull', 'Always attempt to pull a newer version of the image');
    boolOption(c, '-q, --quiet', "Don't print anything to STDOUT");
  }],
  pull: [svcArgs, 'Pull service images', (c) => {
    boolOption(c, '-q, --quiet', 'Pull without printing progress information');
    boolOption(c, '--ignore-pull-failures', 'Pull what it can and ignores images with pull failures');
    boolOption(c, '--ignore-buildable', 'Ignore images that can be built');
  }],
  push: [svcArgs, 'Push service images', (c) => {
    boolOption(c, '--ignore-push-failures', 'Push what it can and ignores images with push failures');
    boolOption(c, '-q, --quiet', 'Push without printing progress information');
  }],
  create: [svcArgs, 'Creates containers for a service', (c) => {
    c.option('--build', 'Build images before starting containers');
    c.option('--no-build', "Don't build an image, even if it's policy");
    boolOption(c, '--force-recreate', "Recreate containers even if their configuration and image haven't changed");
    c.option('--no-recreate', "If containers already exist, don't recreate them");
    boolOption(c, '--remove-orphans', 'Remove containers for services not defined in the Compose file');
    listOption(c, '--scale <SERVICE=NUM>', 'Scale SERVICE to NUM instances');
    c.option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never")', 'policy');
  }],
  start: [svcArgs, 'Start services', (c) => {
    boolOption(c, '--wait', 'Wait for services to be running|healthy');
    c.option('--wait-timeout <seconds>', 'Maximum duration in seconds to wait for the project to be running|healthy');
  }],
  stop: [svcArgs, 'Stop services', (c) => { c.option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds'); }],
  restart: [svcArgs, 'Restart service containers', (c) => {
    c.option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds');
    c.option('--no-deps', "Don't restart dependent services");
  }],
  rm: [svcArgs, 'Removes stopped service containers', (c) => {
    boolOption(c, '-f, --force', "Don't ask to confirm removal");
    boolOption(c, '-s, --stop', 'Stop the containers, if required, before removing');
    boolOption(c, '-v, --volumes', 'Remove any anonymous volumes attached to containers');
  }],
  kill: [svcArgs, 'Force stop service containers', (c) => {
    c.option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL');
    boolOption(c, '--remove-orphans', 'Remove containers for services not defined in the Compose file');
  }],
  pause: ['[SERVICE...]', 'Pause services'],
  unpause: ['[SERVICE...]', 'Unpause services'],
  top: ['[SERVICES...]', 'Display the running processes'],
  port: ['[OPTIONS] SERVICE PRIVATE_PORT', 'Print the public port for a port binding', (c) => {
    c.option('--protocol <proto>', 'tcp or udp', 'tcp');
    c.option('--index <n>', 'Index of the container if service has multiple replicas', '1');
  }, 2, 2],
  images: [svcArgs, 'List images used by the created containers', (c) => {
    boolOption(c, '-q, --quiet', 'Only display IDs');
    c.option('--format <format>', 'Format the output ("table"|"json")', 'table');
  }],
  events: [svcArgs, 'Receive real time events from containers', (c) => { boolOption(c, '--json', 'Output events as a stream of json objects'); }],
  cp: ['[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-', 'Copy files/folders between a service container and the local filesystem', (c) => {
    c.option('--index <n>', 'Index of the container if service has multiple replicas', '1');
  }, 2, 2],
  wait: ['SERVICE [SERVICE...]', 'Block until containers of all (or specified) services stop.', (c) => { boolOption(c, '--down-project', 'Drops project when the first container stops'); }, 1],
  ls: ['[OPTIONS]', 'List running compose projects', (c) => {
    boolOption(c, '-a, --all', 'Show all stopped Compose projects');
    boolOption(c, '-q, --quiet', 'Only display project names');
    c.option('--format <format>', 'Format the output ("table"|"json")', 'table');
    listOption(c, '--filter <filter>', 'Filter output based on conditions provided');
  }, 0, 0],
  version: ['[OPTIONS]', 'Show the Docker Compose version information', (c) => {
    c.option('-f, --format <format>', 'Format the output. Values: [pretty | json]');
    boolOption(c, '--short', "Shows only Compose's version number");
  }, 0, 0],
  'install-plugin': ['[OPTIONS]', 'Install Berth as the docker CLI plugin "docker compose"', (c) => {
    c.option('--dir <dir>', 'Plugin directory (default ${DOCKER_CONFIG:-~/.docker}/cli-plugins)');
  }, 0, 0],
};

/** `berth compose ...` (registering twice is a no-op). */
export function registerCompose(program: BerthCommand, reg: Registry): void {
  if (program.commands.some((c) => c.name() === 'compose')) return;
  const compose = program.command('compose').usage('[OPTIONS] COMMAND').description('Define and run multi-container applications') as BerthCommand;
  listOption(compose, '-f, --file <file>', 'Compose configuration files');
  compose.option('-p, --project-name <name>', 'Project name');
  compose.option('--project-directory <dir>', 'Specify an alternate working directory (default: the path of the, first specified, Compose file)');
  listOption(compose, '--env-file <file>', 'Specify an alternate environment file');
  listOption(compose, '--profile <profile>', 'Specify a profile to enable');
  compose.option('--parallel <n>', 'Control max parallelism, -1 for unlimited', '-1');
  compose.option('--ansi <mode>', 'Control when to print ANSI control characters ("never"|"always"|"auto")', 'auto');
  compose.option('--progress <mode>', 'Set type of progress output (auto, tty, plain, quiet)', 'auto');
  compose.addOption(new Option('--compatibility', 'Run compose in backward compatibility mode').hideHelp());
  compose.addOption(new Option('--dry-run', 'Execute command in dry run mode').hideHelp());
  compose.enablePositionalOptions();
  for (const [name, [usage, description, def, min, max]] of Object.entries(defs)) {
    const c = compose.command(name).usage(usage).description(description);
    def?.(c);
    c.action(handler(reg, name, min ?? 0, max ?? Infinity));
  }
  // the docker CLI plugin protocol: `docker-compose docker-cli-plugin-metadata`
  program.command('docker-cli-plugin-metadata', { hidden: true }).action(async function (this: Command) {
    const { pluginMetadata } = await import('../compose/plugin.js');
    reg.ctx().stdout.write(`${pluginMetadata()}\n`);
  });
}
