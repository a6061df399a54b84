/** version, info, events. */
import type { EventMessage, SystemInfo, SystemVersion } from '../../api/types.js';
import { describeError } from '../../client/errors.js';
import { API_VERSION } from '../../client/host.js';
import { clientOf, write, type Ctx } from '../context.js';
import { bytesSize, humanSize } from '../format/humanize.js';
import { table } from '../format/table.js';
import { goJson, loadRenderer, renderRows } from '../format/template.js';
import { timeRange } from '../opts/time.js';
import { CliError } from '../program.js';
import { filtersOf } from './networks.js';

export const CLIENT_VERSION = '0.1.0';

const arch = (): string => (process.arch === 'x64' ? 'amd64' : process.arch);

function clientInfo() {
  return {
    Platform: { Name: 'Berth' },
    Version: CLIENT_VERSION,
    ApiVersion: API_VERSION,
    DefaultAPIVersion: API_VERSION,
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    Os: process.platform,
    Arch: arch(),
    BuildTime: '',
    Context: 'default',
  };
}

/** Aligned "key:   value" lines as docker's version template (tabwriter, padding 1). */
function kv(indent: string, pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length + 1));
  const col = Math.max(w + 1, 20 - indent.length);
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(col)}${v}\n`).join('');
}

export async function version(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  const cli = clientInfo();
  let server: SystemVersion | undefined;
  let serverErr: unknown;
  try {
    server = await client.version();
  } catch (err) {
    serverErr = err;
  }
  const format = opts.format as string | undefined;
  if (format) {
    const data = { Client: cli, Server: server ?? null };
    if (format === 'json') await write(ctx.stdout, `${goJson(data)}\n`);
    else await write(ctx.stdout, `${(await loadRenderer())(format.replace(/\\n/g, '\n').replace(/\\t/g, '\t'), data)}\n`);
  } else {
    let out = 'Client:\n';
    out += kv(' ', [
      ['Version', cli.Version],
      ['API version', cli.ApiVersion],
      ['Node version', process.versions.node],
      ['OS/Arch', `${cli.Os}/${cli.Arch}`],
      ['Context', cli.Context],
    ]);
    if (server) {
      out += `\nServer: ${server.Platform?.Name ?? ''}\n`;
      const engine = server.Components?.find((c) => c.Name === 'Engine');
      out += ' Engine:\n';
      out += kv('  ', [
        ['Version', server.Version],
        ['API version', `${server.ApiVersion} (minimum version ${server.MinAPIVersion})`],
        ['Go version', server.GoVersion],
        ['Git commit', server.GitCommit],
        ['Built', server.BuildTime],
        ['OS/Arch', `${server.Os}/${server.Arch}`],
        ['Experimental', String(server.Experimental ?? false)],
      ]);
      for (const comp of server.Components ?? []) {
        if (comp === engine) continue;
        out += ` ${comp.Name}:\n`;
        const pairs: [string, string][] = [['Version', comp.Version]];
        for (const [k, v] of Object.entries(comp.Details ?? {})) pairs.push([k, v]);
        out += kv('  ', pairs);
      }
    }
    await write(ctx.stdout, out);
  }
  if (serverErr) throw new CliError(1, describeError(serverErr));
  return 0;
}

export async function info(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  const format = opts.format as string | undefined;
  let i: SystemInfo;
  try {
    i = await client.info();
  } catch (err) {
    if (format) throw err;
    await write(ctx.stdout, `Client:\n Version:    ${CLIENT_VERSION}\n Context:    default\n Debug Mode: false\n\nServer:\n`);
    throw new CliError(1, `ERROR: ${describeError(err)}\nerrors pretty printing info`);
  }
  if (format) {
    const data = { ...i, ClientInfo: clientInfo() };
    if (format === 'json') await write(ctx.stdout, `${goJson(data)}\n`);
    else await write(ctx.stdout, `${(await loadRenderer())(format.replace(/\\n/g, '\n').replace(/\\t/g, '\t'), data)}\n`);
    return 0;
  }
  const lines: string[] = [];
  const add = (s: string) => lines.push(s);
  add('Client:');
  add(` Version:    ${CLIENT_VERSION}`);
  add(' Context:    default');
  add(' Debug Mode: false');
  add('');
  add('Server:');
  add(` Containers: ${i.Containers}`);
  add(`  Running: ${i.ContainersRunning}`);
  add(`  Paused: ${i.ContainersPaused}`);
  add(`  Stopped: ${i.ContainersStopped}`);
  add(` Images: ${i.Images}`);
  add(` Server Version: ${i.ServerVersion}`);
  add(` Storage Driver: ${i.Driver}`);
  for (const [k, v] of i.DriverStatus ?? []) add(`  ${k}: ${v}`);
  if (i.LoggingDriver) add(` Logging Driver: ${i.LoggingDriver}`);
  if (i.CgroupDriver) add(` Cgroup Driver: ${i.CgroupDriver}`);
  if (i.CgroupVersion) add(` Cgroup Version: ${i.CgroupVersion}`);
  if (i.Plugins) {
    add(' Plugins:');
    if (i.Plugins.Volume) add(`  Volume: ${i.Plugins.Volume.join(' ')}`);
    if (i.Plugins.Network) add(`  Network: ${i.Plugins.Network.join(' ')}`);
    if (i.Plugins.Log) add(`  Log: ${i.Plugins.Log.join(' ')}`);
  }
  if (i.Runtimes) add(` Runtimes: ${Object.keys(i.Runtimes).sort().join(' ')}`);
  if (i.DefaultRuntime) add(` Default Runtime: ${i.DefaultRuntime}`);
  if (i.InitBinary) add(` Init Binary: ${i.InitBinary}`);
  if (i.RuncCommit) add(` runc version: ${i.RuncCommit.ID}`);
  if (i.SecurityOptions && i.SecurityOptions.length > 0) {
    add(' Security Options:');
    for (const o of i.SecurityOptions) add(`  ${o.replace(/^name=/, '')}`);
  }
  add(` Kernel Version: ${i.KernelVersion}`);
  add(` Operating System: ${i.OperatingSystem}`);
  add(` OSType: ${i.OSType}`);
  add(` Architecture: ${i.Architecture}`);
  add(` CPUs: ${i.NCPU}`);
  add(` Total Memory: ${bytesSize(i.MemTotal)}`);
  add(` Name: ${i.Name}`);
  add(` ID: ${i.ID}`);
  add(` Docker Root Dir: ${i.DockerRootDir}`);
  add(` Debug Mode: ${i.Debug ?? false}`);
  if (i.HttpProxy) add(` HTTP Proxy: ${i.HttpProxy}`);
  if (i.HttpsProxy) add(` HTTPS Proxy: ${i.HttpsProxy}`);
  if (i.NoProxy) add(` No Proxy: ${i.NoProxy}`);
  if (i.Labels && i.Labels.length > 0) {
    add(' Labels:');
    for (const l of i.Labels) add(`  ${l}`);
  }
  add(` Experimental: ${i.ExperimentalBuild ?? false}`);
  add(` Live Restore Enabled: ${i.LiveRestoreEnabled ?? false}`);
  add('');
  await write(ctx.stdout, lines.join('\n') + '\n');
  if (i.Warnings && i.Warnings.length > 0) await write(ctx.stderr, i.Warnings.map((w) => `${w}\n`).join(''));
  return 0;
}

/** RFC3339Nano with fixed 9 fraction digits in local time, as jsonmessage.RFC3339NanoFixed. */
export function eventTime(timeNano: number | bigint): string {
  const ns = BigInt(timeNano);
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${frac}${zone}`;
}

/** docker's default event line: time type action id (k=v, ...). */
export function formatEvent(e: EventMessage): string {
  let s = `${eventTime(e.timeNano ?? e.time * 1e9)} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}`;
  const attrs = Object.entries(e.Actor?.Attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (attrs.length > 0) s += ` (${attrs.map(([k, v]) => `${k}=${v}`).join(', ')})`;
  return `${s}\n`;
}

export async function events(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  const { since, until } = timeRange(opts);
  const filters = filtersOf(opts.filter as string[] | undefined, '-f, --filter', 'berth events', '[OPTIONS]');
  const stream = await client.events({ since, until, filters });
  const format = opts.format as string | undefined;
  for await (const e of stream) {
    if (!format) await write(ctx.stdout, formatEvent(e));
    else if (format === 'json') await write(ctx.stdout, `${goJson(e)}\n`);
    else await write(ctx.stdout, await renderRows(format, [e], { headers: {}, context: (x) => x as unknown as Record<string, unknown> }));
  }
  return 0;
}

/** `system df`: docker's summary table (cli/command/formatter/disk_usage.go), or per-object lists with -v. */
export async function df(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const u = await (await clientOf(ctx)).df();
  const pct = (part: number, total: number) => (total > 0 ? `${humanSize(part)} (${Math.trunc((part * 100) / total)}%)` : humanSize(part));
  const usedByImages = u.Images.filter((i) => i.Containers > 0).reduce((s, i) => s + i.Size - Math.max(0, i.SharedSize), 0);
  const cSize = u.Containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const cIdle = u.Containers.filter((c) => c.State !== 'running' && c.State !== 'paused').reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const vols = u.Volumes.filter((v) => (v.UsageData?.Size ?? -1) >= 0);
  const vSize = vols.reduce((s, v) => s + (v.UsageData?.Size ?? 0), 0);
  const vIdle = vols.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + (v.UsageData?.Size ?? 0), 0);
  const rows: Record<string, string>[] = [
    { Type: 'Images', TotalCount: String(u.Images.length), Active: String(u.Images.filter((i) => i.Containers > 0).length), Size: humanSize(u.LayersSize), Reclaimable: pct(u.LayersSize - usedByImages, u.LayersSize) },
    { Type: 'Containers', TotalCount: String(u.Containers.length), Active: String(u.Containers.filter((c) => c.State === 'running').length), Size: humanSize(cSize), Reclaimable: pct(cIdle, cSize) },
    { Type: 'Local Volumes', TotalCount: String(u.Volumes.length), Active: String(u.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vSize), Reclaimable: pct(vIdle, vSize) },
    { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
  ];
  const format = (opts.format as string | undefined) ?? '';
  if (format !== '' && format !== 'table') {
    await write(ctx.stdout, await renderRows(format, rows, { headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' }, context: (r) => r }));
    return 0;
  }
  await write(ctx.stdout, table([['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], ...rows.map((r) => [r.Type!, r.TotalCount!, r.Active!, r.Size!, r.Reclaimable!])]));
  return 0;
}
