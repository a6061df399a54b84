/**
 * GET /distribution/{name}/json: what a registry holds for a reference, without pulling it: the
 * descriptor of the manifest (or index) the tag points to, and the platforms it serves (an index's
 * entries, or the architecture and OS of a single manifest's config), as dockerd answers.
 */
import { notFound } from '../core/errors.js';
import { familiarName, type NamedRef } from '../core/reference.js';
import type { AuthConfig } from './client/auth.js';
import type { RegistryConfig } from './client/endpoints.js';
import { parseManifest, type Platform } from './client/media.js';
import { RegistryCallError, RegistrySession } from './client/repository.js';

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Platform[];
}

const MAX_CONFIG_BYTES = 8 << 20;

export async function inspectDistribution(registries: RegistryConfig, ref: NamedRef, creds?: AuthConfig): Promise<DistributionInspect> {
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const sessions = await RegistrySession.connect(ref.domain, registries, 'pull', { creds });
  let lastErr: unknown;
  for (const s of sessions) {
    const repo = s.repository(ref.path);
    try {
      const top = await repo.getManifest(reference);
      const parsed = parseManifest(top.bytes, top.mediaType);
      const Descriptor = { mediaType: top.mediaType ?? parsed.mediaType, digest: top.digest, size: top.bytes.length };
      if (parsed.kind === 'index') {
        return { Descriptor, Platforms: parsed.index.manifests.map((m) => m.platform).filter((p): p is Platform => !!p) };
      }
      const { body } = await repo.openBlob(parsed.manifest.config.digest);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of body as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > MAX_CONFIG_BYTES) throw new Error(`image config ${parsed.manifest.config.digest} is too large`);
        chunks.push(c);
      }
      const cfg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { architecture?: string; os?: string; variant?: string; 'os.version'?: string; 'os.features'?: string[] };
      const p: Platform = { architecture: cfg.architecture ?? '', os: cfg.os ?? '' };
      if (cfg.variant) p.variant = cfg.variant;
      if (cfg['os.version']) p['os.version'] = cfg['os.version'];
      if (cfg['os.features']?.length) p['os.features'] = cfg['os.features'];
      return { Descriptor, Platforms: [p] };
    } catch (err) {
      lastErr = err;
      if (!s.endpoint.mirror) break;
    }
  }
  if (lastErr instanceof RegistryCallError && (lastErr.status === 404 || lastErr.status === 401 || lastErr.status === 403)) {
    throw notFound(`${familiarName(ref)}${ref.digest ? `@${ref.digest}` : `:${reference}`}: not found: ${lastErr.message}`);
  }
  throw lastErr;
}
