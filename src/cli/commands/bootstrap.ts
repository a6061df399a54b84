/** `berth bootstrap busybox`: builds the busybox rootfs tar and imports it as busybox:latest. */
import { PassThrough, type Writable } from 'node:stream';
import { clientOf, type Ctx } from '../context.js';
import { CliError } from '../program.js';
import { displayMessages } from './images.js';

interface BootstrapModule {
  buildBusyboxRootfs(out: Writable): Promise<void>;
  BUSYBOX_IMAGE_CHANGES: string[];
}

export async function bootstrap(ctx: Ctx, args: string[]): Promise<number> {
  if (args[0] !== 'busybox') throw new CliError(1, `berth: unknown bootstrap image: ${args[0] ?? ''} (only "busybox" is supported)`);
  const mod = (await import('../../bootstrap/index.js')) as BootstrapModule;
  const client = await clientOf(ctx);
  const tar = new PassThrough();
  const built = mod.buildBusyboxRootfs(tar).then(
    () => tar.end(),
    (err: unknown) => {
      tar.destroy(err as Error);
      throw err;
    },
  );
  const msgs = await client.images.import(tar, { repo: 'busybox', tag: 'latest', changes: mod.BUSYBOX_IMAGE_CHANGES });
  await Promise.all([displayMessages(ctx, msgs), built]);
  return 0;
}
