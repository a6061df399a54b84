/** /containers endpoints. */
import type { IncomingMessage } from 'node:http';
import type {
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
} from '../api/types.js';
import { encodeFilters, type Filters } from './filters.js';
import type { ContainerStats } from '../api/stats.js';
import { MULTIPLEXED_CONTENT_TYPE, RAW_CONTENT_TYPE, demuxFrames, jsonStream, type Frame } from './stream.js';
import { readAll, type HijackedStream, type Transport } from './transport.js';

const enc = encodeURIComponent;

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface ListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

export interface StopOptions {
  /** seconds to wait before killing; undefined = the container's StopTimeout */
  t?: number;
  signal?: string;
}

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
  /** If known, whether the container has a tty (then the stream is raw, not multiplexed). */
  tty?: boolean;
}

export interface LogsStream {
  /** true when the stream is raw (tty) rather than multiplexed */
  tty: boolean;
  response: IncomingMessage;
  /** The frames of the stream; with a tty everything is reported as stdout. */
  frames(): AsyncGenerator<Frame>;
}

export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

/** A wait registered with the daemon; `result` settles when the condition is met. */
export interface PendingWait {
  result: Promise<ContainerWaitResponse>;
}

export class ContainersApi {
  constructor(private readonly t: Transport) {}

  create(name: string | undefined, body: ContainerCreateBody, platform?: string): Promise<ContainerCreateResponse> {
    return this.t.json({ method: 'POST', path: '/containers/create', query: { name: name || undefined, platform }, body });
  }

  start(id: string, detachKeys?: string): Promise<void> {
    return this.t.call({ method: 'POST', path: `/containers/${enc(id)}/start`, query: { detachKeys } });
  }

  stop(id: string, opts: StopOptions = {}): Promise<void> {
    return this.t.call({ method: 'POST', path: `/containers/${enc(id)}/stop`, query: { t: opts.t, signal: opts.signal } });
  }

  restart(id: string, opts: StopOptions = {}): Promise<void> {
    return this.t.call({ method: 'POST', path: `/containers/${enc(id)}/restart`, query: { t: opts.t, signal: opts.signal } });
  }

  pause(id: string): Promise<void> {
    return this.t.call({ method: 'POST', path: `/containers/${enc(id)}/pause` });
  }

  unpause(id: string): Promise<void> {
    return this.t.call({ method: 'POST', path: `/containers/${enc(id)}/unpause` });
  }

  kill(id: string, signal?: string): Promise<void> {
    return this.t.call({ method: 'POST', path: `/containers/${enc(id)}/kill`, query: { signal } });
  }

  /** Waits for the condition and returns the exit status. */
  async wait(id: string, condition?: WaitCondition): Promise<ContainerWaitResponse> {
    return (await this.beginWait(id, condition)).result;
  }

  /**
   * Registers a wait and resolves as soon as the daemon has it (response headers arrived, which moby
   * sends before blocking), or shortly after the request was sent if the daemon holds its headers back.
   * Used by `run` to wait for `next-exit` before starting the container.
   */
  beginWait(id: string, condition?: WaitCondition): Promise<PendingWait> {
    const response = this.t.request({ method: 'POST', path: `/containers/${enc(id)}/wait`, query: { condition } });
    const result = response.then(async (res) => {
      const body = JSON.parse(await readAll(res)) as ContainerWaitResponse;
      return body;
    });
    result.catch(() => undefined);
    return new Promise((resolve, reject) => {
      let done = false;
      const settle = () => {
        if (!done) {
          done = true;
          resolve({ result });
        }
      };
      response.then(settle, (err: unknown) => {
        if (!done) {
          done = true;
          reject(err);
        }
      });
      setTimeout(settle, 30).unref();
    });
  }

  remove(id: string, opts: { force?: boolean; v?: boolean; link?: boolean } = {}): Promise<void> {
    return this.t.call({ method: 'DELETE', path: `/containers/${enc(id)}`, query: { force: opts.force, v: opts.v, link: opts.link } });
  }

  list(opts: ListOptions = {}): Promise<ContainerSummary[]> {
    return this.t.json({
      method: 'GET',
      path: '/containers/json',
      query: { all: opts.all, limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined, size: opts.size, filters: encodeFilters(opts.filters) },
    });
  }

  inspect(id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.t.json({ method: 'GET', path: `/containers/${enc(id)}/json`, query: { size: opts.size } });
  }

  /** GET /containers/{id}/stats?stream=0: one sample (precpu_stats from a sample a second earlier) */
  stats(id: string): Promise<ContainerStats> {
    return this.t.json({ method: 'GET', path: `/containers/${enc(id)}/stats`, query: { stream: '0' } });
  }

  /** GET /containers/{id}/stats: a sample a second until close() */
  async statsStream(id: string): Promise<AsyncIterable<ContainerStats> & { close(): void }> {
    const ac = new AbortController();
    const res = await this.t.request({ method: 'GET', path: `/containers/${enc(id)}/stats`, signal: ac.signal });
    const iter = jsonStream<ContainerStats>(res);
    return {
      close: () => {
        res.destroy();
        ac.abort();
      },
      [Symbol.asyncIterator]: () => iter,
    };
  }

  /** POST /containers/{id}/update: resources and restart policy (docker update) */
  update(id: string, body: Record<string, unknown>): Promise<{ Warnings: string[] | null }> {
    return this.t.json({ method: 'POST', path: `/containers/${enc(id)}/update`, body });
  }

  top(id: string, psArgs?: string): Promise<ContainerTopResponse> {
    return this.t.json({ method: 'GET', path: `/containers/${enc(id)}/top`, query: { ps_args: psArgs || undefined } });
  }

  rename(id: string, name: string): Promise<void> {
    return this.t.call({ method: 'POST', path: `/containers/${enc(id)}/rename`, query: { name } });
  }

  resize(id: string, h: number, w: number): Promise<void> {
    return this.t.call({ method: 'POST', path: `/containers/${enc(id)}/resize`, query: { h, w } });
  }

  async logs(id: string, opts: LogsOptions = {}): Promise<LogsStream> {
    const response = await this.t.request({
      method: 'GET',
      path: `/containers/${enc(id)}/logs`,
      query: {
        stdout: opts.stdout ?? true,
        stderr: opts.stderr ?? true,
        follow: opts.follow,
        since: opts.since,
        until: opts.until,
        timestamps: opts.timestamps,
        tail: opts.tail,
        details: opts.details,
      },
    });
    const ct = String(response.headers['content-type'] ?? '');
    let tty: boolean;
    if (ct.startsWith(RAW_CONTENT_TYPE)) tty = true;
    else if (ct.startsWith(MULTIPLEXED_CONTENT_TYPE)) tty = false;
    else tty = opts.tty ?? (await this.inspect(id)).Config.Tty === true;
    return {
      tty,
      response,
      frames: tty
        ? async function* () {
            for await (const c of response) yield { stream: 1, payload: c as Buffer } as Frame;
          }
        : () => demuxFrames(response),
    };
  }

  /** Hijacked attach: a raw duplex socket, multiplexed unless the container has a tty. */
  attach(id: string, opts: AttachOptions): Promise<HijackedStream> {
    return this.t.hijack({
      method: 'POST',
      path: `/containers/${enc(id)}/attach`,
      query: { stream: true, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr, logs: opts.logs, detachKeys: opts.detachKeys },
    });
  }

  prune(filters?: Filters): Promise<ContainerPruneResponse> {
    return this.t.json({ method: 'POST', path: '/containers/prune', query: { filters: encodeFilters(filters) } });
  }
}
