/** HTTP endpoints of manifests, tags, the catalog and referrers (end-3, end-7, end-8, end-9, end-12). */
import type http from 'node:http';
import { checkDigest, parseReference } from './names.js';
import { OCI_INDEX } from './manifests.js';
import { manifestTooLarge, type Registry } from './registry.js';
import { linkHeader, MAX_PAGE, paginate, readBody, send, sendJson, type Headers } from './respond.js';
import { paths } from './routes.js';

export async function serveManifest(reg: Registry, req: http.IncomingMessage, res: http.ServerResponse, name: string, refParam: string, query: URLSearchParams): Promise<void> {
  const ref = parseReference(refParam);
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const rev = await reg.manifest(name, ref);
      const headers: Headers = {
        'Content-Type': rev.mediaType,
        'Docker-Content-Digest': rev.digest,
        'Content-Length': rev.size,
        ETag: `"${rev.digest}"`,
      };
      if (req.method === 'HEAD') send(res, 200, headers);
      else send(res, 200, headers, await reg.manifestBytes(rev));
      return;
    }
    case 'PUT': {
      const bytes = await readBody(req, reg.maxManifestBytes, () => manifestTooLarge(reg.maxManifestBytes));
      const pushed = await reg.putManifest(name, ref, bytes, req.headers['content-type'], query.getAll('tag'));
      const headers: Headers = { Location: paths.manifest(name, pushed.digest), 'Docker-Content-Digest': pushed.digest };
      if (pushed.subject) headers['OCI-Subject'] = pushed.subject;
      if (pushed.tags.length > 0) headers['OCI-Tag'] = pushed.tags.join(', ');
      send(res, 201, headers);
      return;
    }
    case 'DELETE':
      await reg.deleteManifest(name, ref);
      send(res, 202);
      return;
  }
}

export async function serveTags(reg: Registry, res: http.ServerResponse, name: string, query: URLSearchParams): Promise<void> {
  const { page, next } = paginate(await reg.tags(name), query);
  sendJson(res, 200, { name, tags: page }, next ? { Link: linkHeader(paths.tags(name), next) } : {});
}

export async function serveCatalog(reg: Registry, res: http.ServerResponse, query: URLSearchParams): Promise<void> {
  const { page, next } = paginate(await reg.catalog(), query, MAX_PAGE);
  sendJson(res, 200, { repositories: page }, next ? { Link: linkHeader(paths.catalog(), next) } : {});
}

/** The referrers of a digest as an OCI index (empty when there are none); `?artifactType=` filters. */
export async function serveReferrers(reg: Registry, res: http.ServerResponse, name: string, digestParam: string, query: URLSearchParams): Promise<void> {
  const digest = checkDigest(digestParam);
  const filter = query.get('artifactType');
  const manifests = (await reg.referrers(name, digest))
    .filter((r) => !filter || r.artifactType === filter)
    .map((r) => ({
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      ...(r.artifactType ? { artifactType: r.artifactType } : {}),
      ...(r.annotations ? { annotations: r.annotations } : {}),
    }));
  const headers: Headers = { 'Content-Type': OCI_INDEX };
  if (filter) headers['OCI-Filters-Applied'] = 'artifactType';
  send(res, 200, headers, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
}
