import { createHash } from 'node:crypto';
import { invalidArgument } from '../core/errors.js';

/** A content digest, always `sha256:<64 lowercase hex>`. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Validates a digest string (the only algorithm is sha256); it is then safe to use in a path. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw invalidArgument(`invalid digest: ${JSON.stringify(s)}`);
  return s;
}

/** The hex part of a digest. */
export function digestHex(d: string): string {
  return parseDigest(d).slice('sha256:'.length);
}

export function sha256Of(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
