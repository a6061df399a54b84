/**
 * Request bodies of the JSON endpoints, with bounded memory and depth:
 *  - at most MAX_BODY bytes are kept; a longer body is read to its end and thrown away (so the client
 *    gets its answer instead of a reset connection, as closing a socket with unread data resets it),
 *    then answered 413. A body past MAX_DRAIN is not worth reading: that connection is closed;
 *  - JSON nested deeper than MAX_DEPTH is refused (400) before it is parsed, so nothing recursive (the
 *    store's JSON.stringify, validators) ever sees it. Go's encoding/json stops at 10000; no request of
 *    the Engine API comes anywhere near 512.
 * Streamed bodies (image load, import, archive upload) do not come through here.
 */
import type { Readable } from 'node:stream';
import { BerthError, invalidArgument } from '../core/errors.js';

export const MAX_BODY = 16 << 20;
export const MAX_DEPTH = 512;
const MAX_DRAIN = 1 << 30;

/** A body over MAX_BODY: answered 413 (the one status no error kind maps to). */
export class BodyTooLarge extends BerthError {
  constructor(readonly drained: boolean) {
    super('InvalidArgument', `request body is too large: the limit is ${MAX_BODY} bytes`);
  }
}

/**
 * Reads a request body. With `expected` (the Content-Length of an upgrade request, whose socket carries
 * the client's stream after the body) exactly that many bytes are read and the rest is left on `src`.
 */
export function readLimited(src: Readable, expected?: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const finish = (err?: Error) => {
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', onError);
      src.off('close', onClose);
      if (err) reject(err);
      else if (over) reject(new BodyTooLarge(true));
      else resolve(Buffer.concat(chunks));
    };
    let rest: Buffer | undefined;
    const onData = (c: Buffer) => {
      if (expected !== undefined) {
        const need = expected - size;
        // what follows the body is the client's stream: given back once this reader is off the socket
        if (c.length > need) {
          rest = c.subarray(need);
          c = c.subarray(0, need);
        }
      }
      size += c.length;
      if (size > MAX_BODY) {
        over = true;
        chunks.length = 0;
      } else chunks.push(c);
      if (size > MAX_DRAIN) {
        finish(new BodyTooLarge(false));
        return;
      }
      if (expected !== undefined && size >= expected) {
        src.pause();
        finish();
        if (rest) src.unshift(rest);
      }
    };
    const onEnd = () => {
      if (expected !== undefined && size < expected) finish(invalidArgument('unexpected end of request body'));
      else finish();
    };
    const onError = (e: Error) => finish(invalidArgument(`reading the request body: ${e.message}`));
    const onClose = () => finish(invalidArgument('the client closed the connection before sending the whole request body'));
    if (expected === 0) { resolve(Buffer.alloc(0)); return; }
    if (expected !== undefined && expected > MAX_DRAIN) { reject(new BodyTooLarge(false)); return; }
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('error', onError);
    src.on('close', onClose);
    src.resume();
  });
}

/** The deepest nesting of arrays and objects in a JSON text, counted without parsing it (stops past `max`). */
export function jsonDepth(buf: Buffer, max = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Parses a JSON body: 400 for malformed or too deeply nested JSON; undefined when empty. */
export function parseJsonBody(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  if (jsonDepth(buf, MAX_DEPTH) > MAX_DEPTH) throw invalidArgument(`invalid JSON: nested deeper than ${MAX_DEPTH} levels`);
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (e) {
    throw invalidArgument(`invalid JSON: ${(e as Error).message}`);
  }
}
