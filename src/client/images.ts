/** /images endpoints. */
import type { Readable } from 'node:stream';
import type { HistoryItem, ImageDeleteResponseItem, ImageInspect, ImagePruneResponse, ImageSummary, JSONMessage } from '../api/types.js';
import { encodeFilters, type Filters } from './filters.js';
import { jsonStream } from './stream.js';
import type { Transport } from './transport.js';
import { BerthError } from '../core/errors.js';

const enc = encodeURIComponent;

export interface ImportOptions {
  repo?: string;
  tag?: string;
  changes?: string[];
  message?: string;
  platform?: string;
}

/** A JSON progress message carrying an error, raised as the stream's failure (docker does the same). */
export class ProgressError extends BerthError {
  constructor(message: string) {
    super('Internal', message);
  }
}

/** Yields progress messages; a message with `error` ends the stream with a ProgressError. */
export async function* progressMessages(src: Readable): AsyncGenerator<JSONMessage> {
  for await (const m of jsonStream<JSONMessage>(src)) {
    if (m.error || m.errorDetail) throw new ProgressError(m.errorDetail?.message ?? m.error ?? 'unknown error');
    yield m;
  }
}

export class ImagesApi {
  constructor(private readonly t: Transport) {}

  list(opts: { all?: boolean; digests?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    return this.t.json({ method: 'GET', path: '/images/json', query: { all: opts.all, digests: opts.digests, filters: encodeFilters(opts.filters) } });
  }

  inspect(name: string): Promise<ImageInspect> {
    return this.t.json({ method: 'GET', path: `/images/${enc(name)}/json` });
  }

  history(name: string): Promise<HistoryItem[]> {
    return this.t.json({ method: 'GET', path: `/images/${enc(name)}/history` });
  }

  tag(name: string, repo: string, tag?: string): Promise<void> {
    return this.t.call({ method: 'POST', path: `/images/${enc(name)}/tag`, query: { repo, tag } });
  }

  remove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    return this.t.json({ method: 'DELETE', path: `/images/${enc(name)}`, query: { force: opts.force, noprune: opts.noprune } });
  }

  /** POST /images/create?fromSrc=- with a tar body; yields the progress messages. */
  async import(source: Readable | Buffer, opts: ImportOptions = {}): Promise<AsyncGenerator<JSONMessage>> {
    const res = await this.t.request({
      method: 'POST',
      path: '/images/create',
      query: { fromSrc: '-', repo: opts.repo, tag: opts.tag, message: opts.message, platform: opts.platform, changes: opts.changes },
      rawBody: source,
      contentType: 'application/x-tar',
    });
    return progressMessages(res);
  }

  /** POST /images/load; yields `{"stream":"Loaded image: x\n"}` messages. */
  async load(source: Readable | Buffer, opts: { quiet?: boolean } = {}): Promise<AsyncGenerator<JSONMessage>> {
    const res = await this.t.request({
      method: 'POST',
      path: '/images/load',
      query: { quiet: opts.quiet },
      rawBody: source,
      contentType: 'application/x-tar',
    });
    return progressMessages(res);
  }

  /** GET /images/get?names=...: the tar stream. */
  save(names: string[]): Promise<Readable> {
    return this.t.request({ method: 'GET', path: '/images/get', query: { names } });
  }

  /** POST /images/create?fromImage=...: a pull; yields the progress messages. `auth` is the encoded X-Registry-Auth. */
  async pull(name: string, opts: { tag?: string; platform?: string; auth?: string } = {}): Promise<AsyncGenerator<JSONMessage>> {
    const res = await this.t.request({
      method: 'POST', path: '/images/create', query: { fromImage: name, tag: opts.tag, platform: opts.platform },
      headers: opts.auth ? { 'X-Registry-Auth': opts.auth } : undefined,
    });
    return progressMessages(res);
  }

  /** POST /images/{name}/push; yields the progress messages. Without a tag every tag of the repository is pushed. */
  async push(name: string, opts: { tag?: string; auth?: string } = {}): Promise<AsyncGenerator<JSONMessage>> {
    const res = await this.t.request({
      method: 'POST', path: `/images/${enc(name)}/push`, query: { tag: opts.tag },
      headers: { 'X-Registry-Auth': opts.auth ?? 'e30=' },
    });
    return progressMessages(res);
  }

  prune(filters?: Filters): Promise<ImagePruneResponse> {
    return this.t.json({ method: 'POST', path: '/images/prune', query: { filters: encodeFilters(filters) } });
  }
}
