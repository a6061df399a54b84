/** `compose logs`: the logs of the project's containers, interleaved in time, with prefixes. */
import type { Ctx } from '../context.js';
import { L } from '../../compose/labels.js';
import { LogPrinter, printLogs, sourceLabel } from './logprinter.js';
import { openSession, type GlobalOpts } from './session.js';

export async function logs(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  let list = (await s.engine.containers(true)).filter((c) => args.length === 0 || args.includes(c.Labels[L.service] ?? ''));
  if (o.index !== undefined) list = list.filter((c) => c.Labels[L.number] === String(o.index));
  list.sort((a, b) => (a.Names[0] ?? '').localeCompare(b.Names[0] ?? ''));
  const printer = new LogPrinter(ctx.stdout, { color: o.color !== false && ctx.stdout.isTTY === true, prefix: o.logPrefix !== false, timestamps: o.timestamps === true });
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  try {
    await printLogs(s.client, list.map((c) => ({ id: c.Id, label: sourceLabel(c, s.project.name) })), printer,
      { follow: o.follow === true, tail: o.tail === 'all' ? undefined : (o.tail as string | undefined), since: o.since as string | undefined, until: o.until as string | undefined, timestamps: o.timestamps === true }, ac.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
  return 0;
}
