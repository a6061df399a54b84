/** /containers/* and /exec/* routes: decode the request, call the services, encode Docker's response. */
import { PassThrough, type Duplex } from 'node:stream';
import type { ContainerService, AttachSink } from '../../containers/service.js';
import type { ExecService } from '../../containers/exec.js';
import type { ContainerStore } from '../../containers/store.js';
import { inspectView, summaryView, parseFilters, filterContainers } from '../../containers/views.js';
import type { ContainerReports } from '../../containers/reports.js';
import { hasProcesses, isActive } from '../../containers/state.js';
import { invalidArgument, notFound, notImplemented } from '../../core/errors.js';
import { removeLink } from '../../containers/unlink.js';
import { qBool, qInt, qTimestamp, type Router, type Ctx } from '../http.js';
import type { ExecCreateBody, PortBinding } from '../../api/types.js';
import type { ContainerRecord } from '../../containers/record.js';
import { frameStream, readLogs, listLogFiles, logsReadable, LOGS_NOT_READABLE } from '../../runtime/logs/index.js';

export interface ContainerRouteDeps {
  containers: ContainerService;
  execs: ExecService;
  store: ContainerStore;
  parseSignal(s: string): number;
  imageName(imageId: string, asGiven: string): string;
  imageMatches(imageId: string, ref: string): boolean;
  graphDriver(id: string): Record<string, string>;
  /** NetworkSettings.Ports of a container */
  portsOf(rec: ContainerRecord): Record<string, PortBinding[] | null>;
  /** the log file set to read, oldest first */
  logFiles(logPath: string, rec?: ContainerRecord): Promise<string[]>;
  /** top, stats and prune */
  reports: ContainerReports;
}

const RAW = 'application/vnd.docker.raw-stream';
const MUX = 'application/vnd.docker.multiplexed-stream';

/** Docker's detach sequence (default ctrl-p,ctrl-q) as bytes. */
export function parseDetachKeys(spec: string | null): Buffer {
  const keys = (spec || 'ctrl-p,ctrl-q').split(',').map((k) => k.trim());
  return Buffer.from(keys.map((k) => {
    const m = /^ctrl-([a-z@[\\\]^_])$/.exec(k);
    if (m) return m[1] === '@' ? 0 : m[1].charCodeAt(0) & 0x1f;
    if (k.length === 1) return k.charCodeAt(0);
    throw invalidArgument(`Invalid detach keys (${spec}) provided`);
  }));
}

/** A sink writing to a hijacked connection, framed unless raw; detachKeys (given for a pty) are watched in the input. */
function hijackSink(sock: Duplex, raw: boolean, stdin: boolean, detachKeys: Buffer | undefined): AttachSink {
  let closed = false;
  const sink: AttachSink = {
    output(stream, data) {
      if (!closed) sock.write(raw ? data : frameStream(stream === 'stdout' ? 1 : 2, data));
    },
    close() {
      if (!closed) { closed = true; sock.end(); }
    },
    onGone(cb) { sock.once('close', cb); },
  };
  if (stdin) {
    if (detachKeys) {
      // watch the input for the detach sequence; forward everything else
      const input = new PassThrough();
      let matched = 0;
      sock.on('data', (d: Buffer) => {
        for (let i = 0; i < d.length; i++) {
          if (d[i] === detachKeys[matched]) {
            matched++;
            if (matched === detachKeys.length) { sink.close(); sock.destroy(); return; }
          } else {
            if (matched) input.write(detachKeys.subarray(0, matched));
            matched = d[i] === detachKeys[0] ? 1 : 0;
            if (!matched) input.write(d.subarray(i, i + 1));
          }
        }
      });
      sock.on('end', () => input.end());
      // an upgrade request with a body (exec start) leaves the socket paused after reading it
      sock.resume();
      sink.input = input;
    } else {
      sink.input = sock;
    }
  }
  return sink;
}

async function sendLogs(ctx: Ctx, d: ContainerRouteDeps): Promise<void> {
  const rec = d.store.resolve(ctx.params[0]);
  const q = ctx.query;
  const stdout = qBool(q, 'stdout');
  const stderr = qBool(q, 'stderr');
  if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  if (!logsReadable(rec.hostConfig.LogConfig)) throw notImplemented(LOGS_NOT_READABLE);
  const tailRaw = q.get('tail');
  const tail = !tailRaw || tailRaw === 'all' ? 'all' as const : Number.parseInt(tailRaw, 10);
  if (tail !== 'all' && !Number.isFinite(tail)) throw invalidArgument(`invalid tail value: ${tailRaw}`);
  const since = qTimestamp(q, 'since');
  const until = qTimestamp(q, 'until');
  const tty = !!rec.config.Tty;
  const res = ctx.stream(200, tty ? RAW : MUX);
  const ac = new AbortController();
  ctx.onClose(() => ac.abort());
  try {
    for await (const chunk of readLogs(await d.logFiles(rec.logPath, rec), {
      tail: tail === 'all' || tail < 0 ? 'all' : tail, since, until, follow: qBool(q, 'follow'), stdout, stderr,
      timestamps: qBool(q, 'timestamps'), signal: ac.signal,
      // a paused container keeps its log open: follow goes on
      isRunning: () => { const cur = d.store.get(rec.id); return !!cur && hasProcesses(cur.state.Status); },
    })) {
      res.write(tty ? chunk.data : frameStream(chunk.stream === 'stdout' ? 1 : 2, chunk.data));
    }
  } finally {
    res.end();
  }
}

export function containerRoutes(r: Router, d: ContainerRouteDeps): void {
  const signalParam = (q: URLSearchParams): number | undefined => (q.get('signal') ? d.parseSignal(q.get('signal')!) : undefined);

  r.add('POST', '/containers/create', async (ctx) => {
    const body = await ctx.json();
    ctx.send(201, await d.containers.create(ctx.query.get('name') ?? undefined, body ?? {}));
  });
  r.add('GET', '/containers/json', async (ctx) => {
    const q = ctx.query;
    // a container whose monitor died is shown exited, not running
    await d.containers.checkMonitors();
    const filters = parseFilters(q.get('filters'));
    let recs = d.store.all();
    if (!qBool(q, 'all') && !filters.status?.length && !q.get('limit') && !q.get('before') && !q.get('since')) {
      recs = recs.filter((c) => isActive(c.state.Status));
    }
    recs = filterContainers(recs, filters, { imageMatches: (c, ref) => d.imageMatches(c.image, ref), resolve: (ref) => d.store.find(ref) });
    recs.sort((a, b) => (a.created < b.created ? 1 : -1));
    const limit = qInt(q, 'limit');
    if (limit && limit > 0) recs = recs.slice(0, limit);
    ctx.send(200, recs.map((c) => summaryView(c, d.imageName(c.image, c.config.Image ?? ''), d.portsOf(c))));
  });
  r.add('GET', '/containers/{id}/json', async (ctx) => {
    await d.containers.checkMonitors(ctx.params[0]);
    const rec = d.store.resolve(ctx.params[0]);
    ctx.send(200, inspectView(rec, { execIds: d.execs.idsFor(rec.id), graphDriver: d.graphDriver(rec.id), ports: d.portsOf(rec) }));
  });
  r.add('GET', '/containers/{id}/top', async (ctx) => ctx.send(200, await d.reports.top(ctx.params[0], ctx.query.get('ps_args'))));
  r.add('GET', '/containers/{id}/logs', (ctx) => sendLogs(ctx, d));
  r.add('POST', '/containers/{id}/start', async (ctx) => {
    await d.containers.start(ctx.params[0]);
    ctx.send(204);
  });
  r.add('POST', '/containers/{id}/stop', async (ctx) => {
    await d.containers.stop(ctx.params[0], { timeout: qInt(ctx.query, 't'), signal: signalParam(ctx.query) }, d.parseSignal);
    ctx.send(204);
  });
  r.add('POST', '/containers/{id}/restart', async (ctx) => {
    await d.containers.restart(ctx.params[0], { timeout: qInt(ctx.query, 't'), signal: signalParam(ctx.query) }, d.parseSignal);
    ctx.send(204);
  });
  r.add('POST', '/containers/{id}/kill', async (ctx) => {
    await d.containers.kill(ctx.params[0], signalParam(ctx.query) ?? 9, d.parseSignal);
    ctx.send(204);
  });
  r.add('POST', '/containers/{id}/pause', async (ctx) => {
    await d.containers.pause(ctx.params[0]);
    ctx.send(204);
  });
  r.add('POST', '/containers/{id}/unpause', async (ctx) => {
    await d.containers.unpause(ctx.params[0]);
    ctx.send(204);
  });
  r.add('POST', '/containers/{id}/wait', async (ctx) => {
    const ac = new AbortController();
    ctx.onClose(() => ac.abort());
    const p = d.containers.wait(ctx.params[0], ctx.query.get('condition') ?? undefined, ac.signal);
    // Docker sends the headers at once, so clients know the wait is registered
    const res = ctx.stream(200, 'application/json');
    const result = await p;
    res.end(`${JSON.stringify(result)}\n`);
  });
  r.add('POST', '/containers/{id}/update', async (ctx) => {
    ctx.send(200, await d.containers.update(ctx.params[0], await ctx.json()));
  });
  r.add('GET', '/containers/{id}/stats', async (ctx) => {
    const stream = ctx.query.get('stream') === null || qBool(ctx.query, 'stream');
    let closed = false;
    ctx.onClose(() => { closed = true; });
    if (!stream) {
      await d.reports.stats(ctx.params[0], { stream, oneShot: qBool(ctx.query, 'one-shot') }, (body) => ctx.send(200, body), () => closed);
      return;
    }
    d.store.resolve(ctx.params[0]); // a 404 before the stream starts
    const res = ctx.stream(200, 'application/json');
    await d.reports.stats(ctx.params[0], { stream, oneShot: false }, (body) => res.write(`${JSON.stringify(body)}\n`), () => closed || res.destroyed);
    res.end();
  });
  r.add('POST', '/containers/{id}/rename', async (ctx) => {
    await d.containers.rename(ctx.params[0], ctx.query.get('name') ?? '');
    ctx.send(204);
  });
  r.add('POST', '/containers/{id}/resize', async (ctx) => {
    await d.containers.resize(ctx.params[0], qInt(ctx.query, 'h') ?? 0, qInt(ctx.query, 'w') ?? 0);
    ctx.send(200);
  });
  r.add('POST', '/containers/{id}/attach', async (ctx) => {
    const rec = d.store.resolve(ctx.params[0]);
    const q = ctx.query;
    const req = { stdin: qBool(q, 'stdin') && !!rec.config.OpenStdin, stdout: qBool(q, 'stdout'), stderr: qBool(q, 'stderr') };
    const keys = parseDetachKeys(q.get('detachKeys'));
    const tty = !!rec.config.Tty;
    // as dockerd: logs=1 first replays what the container wrote; stream=0 then ends the response (stream
    // defaults to Docker's false when logs are asked for, and to a live attach otherwise)
    const logs = qBool(q, 'logs');
    const live = qBool(q, 'stream', !logs);
    const sock = ctx.hijack(tty ? RAW : MUX);
    if (logs && logsReadable(rec.hostConfig.LogConfig) && (req.stdout || req.stderr)) {
      const ac = new AbortController();
      sock.once('close', () => ac.abort());
      for await (const chunk of readLogs(await d.logFiles(rec.logPath, rec), { tail: 'all', follow: false, stdout: req.stdout, stderr: req.stderr, timestamps: false, signal: ac.signal })) {
        sock.write(tty ? chunk.data : frameStream(chunk.stream === 'stdout' ? 1 : 2, chunk.data));
      }
    }
    if (!live) {
      sock.end();
      return;
    }
    const sink = hijackSink(sock, tty, req.stdin, tty ? keys : undefined);
    sock.once('close', () => d.containers.cancelAttach(rec.id, sink));
    await d.containers.attach(rec.id, req, sink);
  });
  r.add('DELETE', '/containers/{id}', async (ctx) => {
    const rec = d.store.resolve(ctx.params[0]);
    await d.containers.remove(rec.id, { force: qBool(ctx.query, 'force'), volumes: qBool(ctx.query, 'v') });
    d.execs.forget(rec.id);
    ctx.send(204);
  });
  // a legacy link's name, /<parent>/<alias>: link=1 removes the link, otherwise the linked container goes
  r.add('DELETE', '/containers/{parent}/{alias}', async (ctx) => {
    const name = `${ctx.params[0]}/${ctx.params[1]}`;
    if (qBool(ctx.query, 'link')) {
      await removeLink(d.store, name);
      ctx.send(204);
      return;
    }
    const link = d.store.find(ctx.params[0])?.hostConfig.Links?.find((l) => l.slice(l.indexOf(':') + 1) === `/${name}`);
    if (!link) throw notFound(`No such container: ${name}`);
    const target = d.store.resolve(link.slice(1, link.indexOf(':')));
    await d.containers.remove(target.id, { force: qBool(ctx.query, 'force'), volumes: qBool(ctx.query, 'v') });
    d.execs.forget(target.id);
    ctx.send(204);
  });
  r.add('POST', '/containers/prune', async (ctx) => {
    ctx.send(200, await d.reports.prune(parseFilters(ctx.query.get('filters'))));
  });

  // exec
  r.add('POST', '/containers/{id}/exec', async (ctx) => {
    const body = (await ctx.json()) as ExecCreateBody | undefined;
    if (!body || typeof body !== 'object') throw invalidArgument('invalid exec config');
    if (body.Cmd !== undefined && (!Array.isArray(body.Cmd) || body.Cmd.some((c) => typeof c !== 'string'))) {
      throw invalidArgument('json: cannot unmarshal into Go struct field ExecConfig.Cmd of type []string');
    }
    // Go's JSON decoding ignores case: docker-py sends `detachKeys`
    const lower = (body as { detachKeys?: unknown }).detachKeys;
    if (body.DetachKeys === undefined && typeof lower === 'string') body.DetachKeys = lower;
    if (body.DetachKeys !== undefined && body.DetachKeys !== null && typeof body.DetachKeys !== 'string') {
      throw invalidArgument('json: cannot unmarshal into Go struct field ExecConfig.DetachKeys of type string');
    }
    if (body.DetachKeys) parseDetachKeys(body.DetachKeys);
    ctx.send(201, d.execs.create(ctx.params[0], body));
  });
  r.add('POST', '/exec/{id}/start', async (ctx) => {
    const body = ((await ctx.json()) ?? {}) as { Detach?: boolean; Tty?: boolean };
    const e = d.execs.get(ctx.params[0]);
    if (body.Detach) {
      await d.execs.start(e.id, { detach: true });
      ctx.send(200);
      return;
    }
    // as dockerd: the process gets a pty when the exec was created with Tty; the start's Tty only says
    // whether the stream is raw or framed (a pty's output then arrives as stdout frames)
    const tty = !!e.body.Tty;
    const raw = !!(body.Tty ?? e.body.Tty);
    // with a pty, the input is watched for the exec's detach keys (ctrl-p,ctrl-q by default)
    const keys = tty && e.body.AttachStdin ? parseDetachKeys(e.body.DetachKeys ?? null) : undefined;
    const sock = ctx.hijack(raw ? RAW : MUX);
    const sink = hijackSink(sock, raw, !!e.body.AttachStdin, keys);
    await d.execs.start(e.id, { detach: false, tty }, sink);
  });
  r.add('POST', '/exec/{id}/resize', async (ctx) => {
    await d.execs.resize(ctx.params[0], qInt(ctx.query, 'h') ?? 0, qInt(ctx.query, 'w') ?? 0);
    ctx.send(200);
  });
  r.add('GET', '/exec/{id}/json', (ctx) => ctx.send(200, d.execs.inspect(ctx.params[0])));
}

export { listLogFiles };
