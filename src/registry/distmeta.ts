/**
 * Distribution metadata (Docker's v2metadata): for each layer (by diffID), the compressed blobs it is known
 * as and where they live. A push uses it to skip layers a registry already has (HEAD by the known digest)
 * or to mount them from another repository of the same registry, instead of compressing and uploading
 * again. One small JSON file per layer, written atomically; losing one only costs a re-upload.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { digestHex } from '../content/index.js';
import { errnoCode } from '../core/errors.js';
import { writeFileAtomic } from '../host/index.js';

export interface BlobSource {
  /** compressed blob digest */
  digest: string;
  mediaType: string;
  size: number;
  /** registry domain, e.g. docker.io or localhost:5000 */
  registry: string;
  /** repository path in that registry, e.g. library/busybox */
  repository: string;
}

const MAX_SOURCES = 16;

export class DistributionMetadata {
  constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<DistributionMetadata> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return new DistributionMetadata(dir);
  }

  private file(diffID: string): string {
    return path.join(this.dir, `${digestHex(diffID)}.json`);
  }

  async get(diffID: string): Promise<BlobSource[]> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.file(diffID), 'utf8')) as unknown;
      return Array.isArray(parsed) ? (parsed as BlobSource[]) : [];
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || err instanceof SyntaxError) return [];
      throw err;
    }
  }

  /** Records a source, most recent first; the same digest in the same repository is kept once. */
  async add(diffID: string, src: BlobSource): Promise<void> {
    const rest = (await this.get(diffID)).filter((s) => !(s.digest === src.digest && s.registry === src.registry && s.repository === src.repository));
    await writeFileAtomic(this.file(diffID), JSON.stringify([src, ...rest].slice(0, MAX_SOURCES)));
  }

  async remove(diffID: string): Promise<void> {
    await fs.rm(this.file(diffID), { force: true });
  }
}
