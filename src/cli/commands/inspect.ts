/** `inspect`, `container inspect`, `image inspect`, `network inspect`: a JSON array indented 4 spaces, or a template per object. */
import { DaemonError, describeError } from '../../client/errors.js';
import { clientOf, write, type Ctx } from '../context.js';
import { loadRenderer } from '../format/template.js';
import { CliError } from '../program.js';

export async function inspect(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  const type = opts.type as string | undefined;
  if (type !== undefined && type !== '' && type !== 'container' && type !== 'image' && type !== 'network') {
    throw new CliError(1, `"${type}" is not a valid value for --type`);
  }
  const size = opts.size === true;
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of args) {
    try {
      if (type === 'container') found.push(await client.containers.inspect(name, { size }));
      else if (type === 'image') found.push(await client.images.inspect(name));
      else if (type === 'network') {
        // docker 28's client no longer rewrites "not found": the daemon's message is printed as is
        try {
          found.push(await client.networks.inspect(name, { verbose: opts.verbose === true }));
          if (size) await write(ctx.stderr, 'WARNING: --size ignored for network\n');
        } catch (err) {
          throw new Error(describeError(err));
        }
      } else {
        try {
          found.push(await client.containers.inspect(name, { size }));
        } catch (err) {
          if (!(err instanceof DaemonError && err.kind === 'NotFound')) throw err;
          try {
            found.push(await client.images.inspect(name));
          } catch (err2) {
            if (!(err2 instanceof DaemonError && err2.kind === 'NotFound')) throw err2;
            try {
              found.push(await client.networks.inspect(name));
              if (size) await write(ctx.stderr, 'WARNING: --size ignored for network\n');
            } catch (err3) {
              if (err3 instanceof DaemonError && err3.kind === 'NotFound') throw new Error(`Error: No such object: ${name}`);
              throw err3;
            }
          }
        }
      }
    } catch (err) {
      if (err instanceof DaemonError && err.kind === 'NotFound') errors.push(`Error: ${err.message}`);
      else errors.push(err instanceof DaemonError ? `Error response from daemon: ${err.message}` : (err as Error).message);
    }
  }
  const format = opts.format as string | undefined;
  if (format && format !== 'json') {
    const render = await loadRenderer();
    const tmpl = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
    await write(ctx.stdout, found.map((o) => `${render(tmpl, o)}\n`).join(''));
  } else {
    await write(ctx.stdout, `${found.length === 0 ? '[]' : JSON.stringify(found, null, 4)}\n`);
  }
  if (errors.length > 0) throw new CliError(1, errors.join('\n'));
  return 0;
}
