/**
 * Berth as the docker CLI plugin `docker compose`: the plugin metadata (`docker-cli-plugin-metadata`) and
 * `berth compose install-plugin`, which writes an executable at
 * ${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-compose that runs this CLI with node.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Ctx } from '../context.js';
import { COMPOSE_VERSION } from '../../compose/labels.js';
import type { GlobalOpts } from './session.js';

export function pluginMetadata(): string {
  return JSON.stringify({ SchemaVersion: '0.1.0', Vendor: 'Berth', Version: `v${COMPOSE_VERSION}`, ShortDescription: 'Docker Compose (Berth)', URL: 'https://github.com/berth' });
}

/** The bundled CLI this process runs from (bin/berth imports it). */
function cliEntry(): string {
  const main = process.argv[1] ?? '';
  return path.resolve(main);
}

export async function installPlugin(ctx: Ctx, _args: string[], o: Record<string, unknown>, _g: GlobalOpts): Promise<number> {
  const dir = (o.dir as string | undefined) ?? path.join(ctx.env.DOCKER_CONFIG || path.join(ctx.env.HOME || os.homedir(), '.docker'), 'cli-plugins');
  await fsp.mkdir(dir, { recursive: true });
  const target = path.join(dir, 'docker-compose');
  // the docker CLI runs `docker-compose docker-cli-plugin-metadata` and `docker-compose compose ...`
  const script = `#!/bin/sh\n# docker compose, served by Berth (written by \`berth compose install-plugin\`)\nBERTH_COMPOSE_PLUGIN=1 exec ${JSON.stringify(process.execPath)} ${JSON.stringify(cliEntry())} "$@"\n`;
  const tmp = `${target}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, script, { mode: 0o755 });
  await fsp.rename(tmp, target);
  ctx.stdout.write(`installed ${target}\n`);
  return 0;
}
