/**
 * The little of the DNS wire format (RFC 1035, RFC 6891) the embedded server needs: read a query's
 * header, question and EDNS payload size, and build answers around the question exactly as it was
 * asked (its raw bytes are copied, so case and odd labels survive untouched).
 */
import { isIPv4, isIPv6 } from 'node:net';

export const HEADER_LEN = 12;
export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_CD = 0x0010;

/** the classic UDP limit without EDNS */
export const UDP_DEFAULT_SIZE = 512;
/** what we advertise (and the most we honour) when the client speaks EDNS */
export const EDNS_MAX_SIZE = 4096;

export interface Query {
  id: number;
  /** header flags as sent (QR clear) */
  flags: number;
  opcode: number;
  qdcount: number;
  /** the question, present when qdcount is 1 */
  question?: {
    /** labels as sent; `name` is their lowercase, dot-joined form without the trailing dot */
    labels: string[];
    name: string;
    /** true when the labels are plain printable text without dots, fit for a lookup */
    plain: boolean;
    type: number;
    class: number;
    /** the question section's bytes, [12, end) of the message */
    raw: Buffer;
  };
  /** the EDNS UDP payload size, when the query carries an OPT record */
  ednsSize?: number;
}

/** Read a name starting at `off` with no compression pointers; returns the labels and the offset past it. */
function readName(buf: Buffer, off: number): { labels: string[]; end: number } | undefined {
  const labels: string[] = [];
  let total = 0;
  for (;;) {
    if (off >= buf.length) return undefined;
    const len = buf[off++]!;
    if (len === 0) break;
    if ((len & 0xc0) !== 0) return undefined; // pointers (or reserved label types) have no place in a question
    if (off + len > buf.length) return undefined;
    total += len + 1;
    if (total > 255) return undefined;
    labels.push(buf.toString('latin1', off, off + len));
    off += len;
  }
  return { labels, end: off };
}

/** Skip a (possibly compressed) name in a resource record; returns the offset past it. */
function skipName(buf: Buffer, off: number): number | undefined {
  for (let hops = 0; hops < 128; hops++) {
    if (off >= buf.length) return undefined;
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : undefined;
    if ((len & 0xc0) !== 0) return undefined;
    off += 1 + len;
  }
  return undefined;
}

/**
 * Parse a query. `undefined` means "not a query we can make sense of": too short, a response, or a
 * question that runs off the end of the packet. Such packets get no reply at all.
 */
export function parseQuery(buf: Buffer): Query | undefined {
  if (buf.length < HEADER_LEN) return undefined;
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & FLAG_QR) return undefined;
  const opcode = (flags >> 11) & 0xf;
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  const nscount = buf.readUInt16BE(8);
  const arcount = buf.readUInt16BE(10);
  const q: Query = { id, flags, opcode, qdcount };
  if (qdcount !== 1) return q;

  const n = readName(buf, HEADER_LEN);
  if (!n || n.end + 4 > buf.length) return undefined;
  const type = buf.readUInt16BE(n.end);
  const klass = buf.readUInt16BE(n.end + 2);
  let off = n.end + 4;
  const plain = n.labels.every((l) => /^[\x21-\x2d\x2f-\x7e]+$/.test(l));
  q.question = {
    labels: n.labels,
    name: n.labels.join('.').toLowerCase(),
    plain,
    type,
    class: klass,
    raw: Buffer.from(buf.subarray(HEADER_LEN, off)),
  };

  // Look for an OPT record among the additionals; a query that breaks off here still gets answered,
  // just without EDNS.
  for (let i = 0; i < ancount + nscount + arcount; i++) {
    const end = skipName(buf, off);
    if (end === undefined || end + 10 > buf.length) break;
    const rtype = buf.readUInt16BE(end);
    const rdlen = buf.readUInt16BE(end + 8);
    if (i >= ancount + nscount && rtype === TYPE_OPT) {
      q.ednsSize = buf.readUInt16BE(end + 2);
      break;
    }
    off = end + 10 + rdlen;
  }
  return q;
}

/** The largest response the client takes over UDP. */
export function udpLimit(q: Query): number {
  if (q.ednsSize === undefined) return UDP_DEFAULT_SIZE;
  return Math.min(Math.max(q.ednsSize, UDP_DEFAULT_SIZE), EDNS_MAX_SIZE);
}

/** Encode a domain name into labels; `undefined` if it is not a valid name. */
export function encodeName(name: string): Buffer | undefined {
  const n = name.replace(/\.$/, '');
  const parts: Buffer[] = [];
  if (n.length) {
    for (const label of n.split('.')) {
      const b = Buffer.from(label, 'latin1');
      if (b.length === 0 || b.length > 63) return undefined;
      parts.push(Buffer.from([b.length]), b);
    }
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  return out.length > 255 ? undefined : out;
}

/** A resource record whose owner is the question's name (a compression pointer to offset 12). */
export function answerRecord(type: number, ttl: number, rdata: Buffer): Buffer {
  const rr = Buffer.alloc(12 + rdata.length);
  rr.writeUInt16BE(0xc000 | HEADER_LEN, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(ttl, 6);
  rr.writeUInt16BE(rdata.length, 10);
  rdata.copy(rr, 12);
  return rr;
}

export function aRecord(ip: string, ttl: number): Buffer | undefined {
  if (!isIPv4(ip)) return undefined;
  return answerRecord(TYPE_A, ttl, Buffer.from(ip.split('.').map(Number)));
}

export function ptrRecord(target: string, ttl: number): Buffer | undefined {
  const rdata = encodeName(target);
  return rdata && answerRecord(TYPE_PTR, ttl, rdata);
}

/** An OPT pseudo-record advertising our payload size (EDNS version 0, no options). */
function optRecord(): Buffer {
  const rr = Buffer.alloc(11);
  rr[0] = 0; // root name
  rr.writeUInt16BE(TYPE_OPT, 1);
  rr.writeUInt16BE(EDNS_MAX_SIZE, 3);
  // extended rcode, version, flags and rdlength all zero
  return rr;
}

export interface ResponseOpts {
  rcode: number;
  authoritative?: boolean;
  answers?: Buffer[];
  /** the largest message allowed; answers that do not fit are dropped and TC set */
  limit?: number;
}

/** Build a response to `q`: id, opcode, RD and CD copied, RA set, the question echoed as sent. */
export function buildResponse(q: Query, o: ResponseOpts): Buffer {
  const question = q.question?.raw ?? Buffer.alloc(0);
  const opt = q.ednsSize !== undefined && q.question ? optRecord() : undefined;
  const limit = o.limit ?? 65535;
  let size = HEADER_LEN + question.length + (opt ? opt.length : 0);
  const answers: Buffer[] = [];
  let truncated = false;
  for (const a of o.answers ?? []) {
    if (size + a.length > limit) {
      truncated = true;
      break;
    }
    answers.push(a);
    size += a.length;
  }
  const header = Buffer.alloc(HEADER_LEN);
  header.writeUInt16BE(q.id, 0);
  let flags = FLAG_QR | (q.opcode << 11) | FLAG_RA | (q.flags & (FLAG_RD | FLAG_CD)) | (o.rcode & 0xf);
  if (o.authoritative) flags |= FLAG_AA;
  if (truncated) flags |= FLAG_TC;
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(q.question ? 1 : 0, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(opt ? 1 : 0, 10);
  return Buffer.concat([header, question, ...answers, ...(opt ? [opt] : [])]);
}

/**
 * Does `resp` answer `q`? Same id, QR set, and the same question (names compared case-insensitively,
 * as a resolver may randomise case).
 */
export function responseMatches(q: Query, resp: Buffer): boolean {
  if (resp.length < HEADER_LEN) return false;
  if (resp.readUInt16BE(0) !== q.id) return false;
  if (!(resp.readUInt16BE(2) & FLAG_QR)) return false;
  if (!q.question) return true;
  if (resp.readUInt16BE(4) !== 1) {
    // a server may leave the question out of an error response; accept only that
    return resp.readUInt16BE(4) === 0 && (resp.readUInt16BE(2) & 0xf) !== RCODE_NOERROR;
  }
  const raw = q.question.raw;
  if (resp.length < HEADER_LEN + raw.length) return false;
  return resp.subarray(HEADER_LEN, HEADER_LEN + raw.length).toString('latin1').toLowerCase() === raw.toString('latin1').toLowerCase();
}

/** The rcode of a response message. */
export function rcodeOf(resp: Buffer): number {
  return resp.length >= 4 ? resp.readUInt16BE(2) & 0xf : RCODE_SERVFAIL;
}

/**
 * Cut a response that does not fit the client's UDP limit down to header and question, with TC set,
 * so the client retries over TCP.
 */
export function truncateResponse(resp: Buffer, q: Query): Buffer {
  const qlen = resp.readUInt16BE(4) === 1 && q.question ? q.question.raw.length : 0;
  const out = Buffer.from(resp.subarray(0, HEADER_LEN + qlen));
  out.writeUInt16BE(out.readUInt16BE(2) | FLAG_TC, 2);
  out.writeUInt16BE(qlen ? 1 : 0, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}

/**
 * The address a reverse-lookup name stands for: `4.3.2.1.in-addr.arpa` is 1.2.3.4, and 32 nibbles
 * under `ip6.arpa` an IPv6 address. `undefined` for anything else (partial names, zones).
 */
export function reverseName(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  let m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(n);
  if (m) {
    const ip = [m[4], m[3], m[2], m[1]].map((s) => String(Number(s))).join('.');
    return isIPv4(ip) && [m[1], m[2], m[3], m[4]].every((s) => s === String(Number(s))) ? ip : undefined;
  }
  m = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(n);
  if (m) {
    const hex = m[1]!.split('.').filter(Boolean).reverse().join('');
    const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
    const ip = compressIPv6(groups);
    return isIPv6(ip) ? ip : undefined;
  }
  return undefined;
}

/** RFC 5952 form of eight hex groups: the longest run (2+) of zero groups becomes `::`. */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
