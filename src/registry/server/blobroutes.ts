/** HTTP endpoints of blobs and blob uploads (end-2, end-4a/b/c, end-5, end-6, end-10, end-11, end-13, end-14). */
import * as fs from 'node:fs/promises';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../content/index.js';
import { errnoCode } from '../../core/errors.js';
import { blobUnknown, digestInvalid, registryError } from './errors.js';
import { checkDigest, isRepositoryName } from './names.js';
import { uploadRange, type Registry } from './registry.js';
import { hasBody, parseContentRange, parseRange, send } from './respond.js';
import { paths } from './routes.js';
import { STREAM_HWM, type UploadStatus } from './uploads.js';

export async function serveBlob(reg: Registry, req: http.IncomingMessage, res: http.ServerResponse, name: string, digestParam: string): Promise<void> {
  const digest = checkDigest(digestParam);
  if (req.method === 'DELETE') {
    await reg.deleteBlob(name, digest);
    send(res, 202, { 'Docker-Content-Digest': digest });
    return;
  }
  const info = await reg.blob(name, digest);
  // open first, then size the open file: a concurrent gc cannot pull it away mid-response
  const fh = await fs.open(info.path, 'r').catch((err: unknown) => {
    throw errnoCode(err) === 'ENOENT' ? blobUnknown(digest) : err;
  });
  try {
    const size = (await fh.stat()).size;
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      'Accept-Ranges': 'bytes',
      ETag: `"${digest}"`,
      'Cache-Control': 'max-age=31536000',
    };
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      send(res, 416, { ...headers, 'Content-Range': `bytes */${size}` });
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    res.statusCode = range ? 206 : 200;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('Content-Length', end - start + 1);
    if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    await pipeline(fh.createReadStream({ start, end, highWaterMark: STREAM_HWM, autoClose: false }), res);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** POST /v2/<name>/blobs/uploads/: start a session, push a whole blob (`?digest=`) or mount one. */
export async function startUpload(reg: Registry, req: http.IncomingMessage, res: http.ServerResponse, name: string, query: URLSearchParams): Promise<void> {
  const mount = query.get('mount');
  const from = query.get('from');
  if (mount && from && isRepositoryName(from)) {
    const digest = tryDigest(mount);
    if (digest && (await reg.mountBlob(name, digest, from))) {
      created(res, name, digest);
      return;
    }
  }
  const algorithm = query.get('digest-algorithm');
  if (algorithm !== null && algorithm !== 'sha256') {
    throw digestInvalid(`unsupported digest algorithm: ${JSON.stringify(algorithm)}`, { algorithm });
  }
  const digestParam = query.get('digest');
  if (digestParam !== null && !mount) {
    const { digest } = await reg.pushBlob(name, checkDigest(digestParam), req);
    created(res, name, digest);
    return;
  }
  const status = await reg.startUpload(name);
  uploadResponse(res, 202, status);
}

/** GET / HEAD / PATCH / PUT / DELETE of an upload session. */
export async function serveUpload(reg: Registry, req: http.IncomingMessage, res: http.ServerResponse, name: string, uuid: string, query: URLSearchParams): Promise<void> {
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      uploadResponse(res, 204, await reg.uploadStatus(name, uuid));
      return;
    case 'DELETE':
      await reg.cancelUpload(name, uuid);
      send(res, 204, { 'Docker-Upload-UUID': uuid });
      return;
    case 'PATCH': {
      const start = chunkStart(req);
      uploadResponse(res, 202, await reg.appendUpload(name, uuid, req, start));
      return;
    }
    case 'PUT': {
      const digestParam = query.get('digest');
      if (!digestParam) throw digestInvalid('digest missing: the closing PUT needs ?digest=');
      const digest = checkDigest(digestParam);
      const last = hasBody(req) ? { body: req, start: chunkStart(req) } : undefined;
      const res2 = await reg.finishUpload(name, uuid, digest, last);
      created(res, name, res2.digest);
      return;
    }
  }
}

/** The start offset a chunk claims (`Content-Range`), checked against its `Content-Length`. */
function chunkStart(req: http.IncomingMessage): number | undefined {
  const range = parseContentRange(req.headers['content-range']);
  if (!range) return undefined;
  const len = req.headers['content-length'];
  if (len !== undefined && Number(len) !== range.end - range.start + 1) {
    throw registryError('BLOB_UPLOAD_INVALID', `Content-Range ${range.start}-${range.end} does not match Content-Length ${len}`, { status: 416 });
  }
  return range.start;
}

function uploadResponse(res: http.ServerResponse, status: number, s: UploadStatus): void {
  send(res, status, {
    Location: paths.upload(s.repo, s.uuid),
    Range: uploadRange(s.size),
    'Docker-Upload-UUID': s.uuid,
  });
}

function created(res: http.ServerResponse, name: string, digest: Digest): void {
  send(res, 201, { Location: paths.blob(name, digest), 'Docker-Content-Digest': digest });
}

function tryDigest(s: string): Digest | undefined {
  try {
    return checkDigest(s);
  } catch {
    return undefined;
  }
}
