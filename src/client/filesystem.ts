/** A container's file system: /containers/{id}/archive, /export, /changes, and POST /commit. */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { ContainerConfig } from '../api/types.js';
import { readAll, type Transport } from './transport.js';

const enc = encodeURIComponent;

/** The X-Docker-Container-Path-Stat header, decoded (mode: Go's os.FileMode bits). */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface FilesystemChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** default true, as Docker */
  pause?: boolean;
  changes?: string[];
  config?: ContainerConfig;
}

/** Go's os.ModeDir and os.ModeSymlink. */
export const MODE_DIR = 2 ** 31;
export const MODE_SYMLINK = 2 ** 27;

export const isDirMode = (mode: number): boolean => mode >= MODE_DIR;
export const isSymlinkMode = (mode: number): boolean => Math.floor(mode / MODE_SYMLINK) % 2 === 1;

function decodeStat(res: IncomingMessage): ContainerPathStat {
  const raw = res.headers['x-docker-container-path-stat'];
  const text = Buffer.from(String(Array.isArray(raw) ? raw[0] : raw ?? ''), 'base64').toString('utf8');
  return JSON.parse(text || '{}') as ContainerPathStat;
}

export class ContainerFsApi {
  constructor(private readonly t: Transport) {}

  /** HEAD /containers/{id}/archive */
  async statPath(id: string, path: string): Promise<ContainerPathStat> {
    const res = await this.t.request({ method: 'HEAD', path: `/containers/${enc(id)}/archive`, query: { path } });
    res.resume();
    return decodeStat(res);
  }

  /** GET /containers/{id}/archive: the path's stat and a tar of it. */
  async getArchive(id: string, path: string): Promise<{ stat: ContainerPathStat; content: IncomingMessage }> {
    const res = await this.t.request({ method: 'GET', path: `/containers/${enc(id)}/archive`, query: { path } });
    return { stat: decodeStat(res), content: res };
  }

  /** PUT /containers/{id}/archive: extracts `tar` into the directory `path`. */
  async putArchive(id: string, path: string, tar: Readable | Buffer, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
    const res = await this.t.request({
      method: 'PUT', path: `/containers/${enc(id)}/archive`, rawBody: tar, contentType: 'application/x-tar',
      query: { path, noOverwriteDirNonDir: opts.noOverwriteDirNonDir ? 'true' : undefined, copyUIDGID: opts.copyUIDGID ? 'true' : undefined },
    });
    await readAll(res);
  }

  /** GET /containers/{id}/export: the container's file system as a tar. */
  export(id: string): Promise<IncomingMessage> {
    return this.t.request({ method: 'GET', path: `/containers/${enc(id)}/export` });
  }

  /** GET /containers/{id}/changes */
  async changes(id: string): Promise<FilesystemChange[]> {
    return (await this.t.json<FilesystemChange[] | null>({ method: 'GET', path: `/containers/${enc(id)}/changes` })) ?? [];
  }

  /** POST /commit */
  commit(container: string, opts: CommitOptions = {}): Promise<{ Id: string }> {
    return this.t.json({
      method: 'POST', path: '/commit', body: opts.config,
      query: {
        container, repo: opts.repo, tag: opts.tag, comment: opts.comment, author: opts.author,
        pause: opts.pause === false ? '0' : undefined, changes: opts.changes?.length ? opts.changes : undefined,
      },
    });
  }
}
