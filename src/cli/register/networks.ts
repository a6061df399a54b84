/** Definitions of the network commands and `port` (flags and usage only; handlers are loaded lazily). */
import type { Command } from 'commander';
import { boolOption, listOption } from '../opts/flags.js';
import type { BerthCommand } from '../program.js';
import { lazy, type Registry } from './lazy.js';

const net = () => import('../commands/networks.js');

type Def = (parent: BerthCommand, name: string, reg: Registry) => Command;

const port: Def = (p, n, reg) =>
  p
    .command(n)
    .usage('CONTAINER [PRIVATE_PORT[/PROTO]]')
    .description('List port mappings or a specific mapping for the container')
    .action(lazy(reg, { min: 1, max: 2 }, async () => (await net()).port));

const defs: Record<string, Def> = {
  connect: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] NETWORK CONTAINER').description('Connect a container to a network');
    c.option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")');
    c.option('--ip6 <string>', 'IPv6 address (e.g., "2001:db8::33")');
    listOption(c, '--link <list>', 'Add link to another container');
    listOption(c, '--alias <strings>', 'Add network-scoped alias for the container');
    listOption(c, '--link-local-ip <strings>', 'Add a link-local address for the container');
    listOption(c, '--driver-opt <strings>', 'driver options for the network');
    c.option('--gw-priority <int>', 'Highest gw-priority provides the default gateway. Accepts positive and negative values.');
    return c.action(lazy(reg, { min: 2, max: 2 }, async () => (await net()).networkConnect));
  },
  create: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] NETWORK').description('Create a network');
    listOption(c, '--aux-address <map>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver');
    boolOption(c, '--attachable', 'Enable manual container attachment');
    c.option('--config-from <string>', 'The network from which to copy the configuration');
    boolOption(c, '--config-only', 'Create a configuration only network');
    c.option('-d, --driver <string>', 'Driver to manage the Network', 'bridge');
    listOption(c, '--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet');
    boolOption(c, '--ingress', 'Create swarm routing-mesh network');
    boolOption(c, '--internal', 'Restrict external access to the network');
    listOption(c, '--ip-range <strings>', 'Allocate container ip from a sub-range');
    c.option('--ipam-driver <string>', 'IP Address Management Driver', 'default');
    listOption(c, '--ipam-opt <map>', 'Set IPAM driver specific options');
    boolOption(c, '--ipv4', 'Enable or disable IPv4 address assignment (default true)');
    boolOption(c, '--ipv6', 'Enable or disable IPv6 address assignment');
    listOption(c, '--label <list>', 'Set metadata on a network');
    listOption(c, '-o, --opt <map>', 'Set driver specific options');
    c.option('--scope <string>', "Control the network's scope");
    listOption(c, '--subnet <strings>', 'Subnet in CIDR format that represents a network segment');
    return c.action(lazy(reg, { min: 1, max: 1 }, async () => (await net()).networkCreate));
  },
  diagram: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] NETWORK').description('Show the topology of a network: its bridge, containers, addresses and published ports');
    c.option('--svg <file>', 'Also write the diagram as an SVG picture to this file');
    return c.action(lazy(reg, { min: 1, max: 1 }, async () => (await net()).networkDiagram));
  },
  disconnect: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] NETWORK CONTAINER').description('Disconnect a container from a network');
    boolOption(c, '-f, --force', 'Force the container to disconnect from a network');
    return c.action(lazy(reg, { min: 2, max: 2 }, async () => (await net()).networkDisconnect));
  },
  inspect: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS] NETWORK [NETWORK...]').description('Display detailed information on one or more networks');
    c.option('-f, --format <string>', 'Format output using a custom template');
    boolOption(c, '-v, --verbose', 'Verbose output for diagnostics');
    return c.action(lazy(reg, { min: 1 }, async () => (await import('../commands/inspect.js')).inspect, { type: 'network' }));
  },
  ls: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS]').description('List networks');
    listOption(c, '-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")');
    c.option('--format <string>', 'Format output using a custom template');
    c.option('--no-trunc', 'Do not truncate the output');
    boolOption(c, '-q, --quiet', 'Only display network IDs');
    return c.aliases(['list']).action(lazy(reg, { min: 0, max: 0 }, async () => (await net()).networkList));
  },
  prune: (p, n, reg) => {
    const c = p.command(n).usage('[OPTIONS]').description('Remove all unused networks');
    listOption(c, '--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")');
    boolOption(c, '-f, --force', 'Do not prompt for confirmation');
    return c.action(lazy(reg, { min: 0, max: 0 }, async () => (await net()).networkPrune));
  },
  rm: (p, n, reg) => {
    const c = p.command(n).usage('NETWORK [NETWORK...]').description('Remove one or more networks');
    boolOption(c, '-f, --force', 'Do not error if the network does not exist');
    return c.aliases(['remove']).action(lazy(reg, { min: 1 }, async () => (await net()).networkRemove));
  },
};

export function registerNetworks(program: BerthCommand, reg: Registry): void {
  port(program, 'port', reg);
  const container = program.commands.find((c) => c.name() === 'container') as BerthCommand | undefined;
  if (container) port(container, 'port', reg);
  const network = program.command('network').usage('COMMAND').description('Manage networks') as BerthCommand;
  for (const [name, def] of Object.entries(defs)) def(network, name, reg);
}
