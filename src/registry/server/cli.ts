/** `berth registry serve` and `berth registry gc`: the command bodies (the CLI wires flags to these). */
import { humanSize } from '../../core/humanize.js';
import { invalidArgument } from '../../core/errors.js';
import { Registry } from './registry.js';
import { RegistryServer } from './registryserver.js';
import type { GcResult } from './gc.js';

export interface ServeCommandOptions {
  /** host:port, e.g. 127.0.0.1:5000 or :5000 */
  addr: string;
  root: string;
  htpasswd?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Serves until SIGINT or SIGTERM, then closes cleanly. */
export async function serveCommand(opts: ServeCommandOptions): Promise<void> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw invalidArgument('registry serve: --tls-cert and --tls-key go together');
  }
  const server = await RegistryServer.open({
    root: opts.root,
    htpasswd: opts.htpasswd,
    tls: opts.tlsCert && opts.tlsKey ? { cert: opts.tlsCert, key: opts.tlsKey } : undefined,
    log: (msg) => process.stderr.write(`${msg}\n`),
  });
  const { host, port } = await server.listen(opts.addr);
  const shown = host.includes(':') ? `[${host}]` : host;
  process.stdout.write(`listening on ${server.protocol}://${shown}:${port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}

export interface GcCommandOptions {
  root: string;
  dryRun?: boolean;
  /** keep unreferenced blobs younger than this (default 1 hour: pushes in progress on a live registry) */
  gracePeriodMs?: number;
}

/** Garbage-collects a registry root and prints what went (or would go, with dryRun). */
export async function gcCommand(opts: GcCommandOptions): Promise<GcResult> {
  const registry = await Registry.open(opts.root);
  const res = await registry.gc({ dryRun: opts.dryRun, gracePeriodMs: opts.gracePeriodMs });
  const verb = opts.dryRun ? 'would remove' : 'removed';
  for (const d of res.removed) process.stdout.write(`${verb} ${d}\n`);
  for (const r of res.removedRepositories) process.stdout.write(`removed empty repository ${r}\n`);
  process.stdout.write(`${opts.dryRun ? 'would free' : 'freed'} ${humanSize(res.freedBytes)} (${res.removed.length} blobs)\n`);
  return res;
}
