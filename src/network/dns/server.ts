/**
 * The embedded DNS server for user-defined networks, after Docker's (libnetwork's resolver.go).
 *
 * It listens on UDP and TCP on each network's gateway address. Names Berth knows (containers,
 * aliases; see `DnsResolver`) are answered here; everything else is forwarded, byte for byte, to the
 * asking container's upstream resolvers, UDP over UDP and TCP over TCP.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { DnsAnswer, DnsResolver } from './types.js';
import {
  type Query,
  CLASS_IN,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  TYPE_A,
  TYPE_AAAA,
  TYPE_PTR,
  aRecord,
  buildResponse,
  parseQuery,
  ptrRecord,
  rcodeOf,
  responseMatches,
  reverseName,
  truncateResponse,
  udpLimit,
} from './wire.js';

export interface DnsServerOptions {
  log?: (m: string) => void;
  /** the whole time a forwarded query may take, across all upstreams (default 2000 ms) */
  forwardTimeoutMs?: number;
  /** the port to listen on, UDP and TCP (default 53) */
  port?: number;
}

/** TTL of the records we answer ourselves, as Docker's (600 s) */
export const RESPONSE_TTL = 600;
/** Docker's embedded resolver never forwards to itself */
const EMBEDDED_RESOLVER_IP = '127.0.0.11';
/** at most this many upstreams are tried (resolv.conf's MAXNS, Docker's maxExtDNS) */
const MAX_UPSTREAMS = 3;
/** forwarded queries in flight at once; beyond this, SERVFAIL rather than pile up sockets */
const MAX_CONCURRENT_FORWARDS = 1024;
/** an idle TCP client connection is closed after this long */
const TCP_IDLE_MS = 10_000;

type Proto = 'udp' | 'tcp';

interface Upstream {
  host: string;
  port: number;
  family: 4 | 6;
}

interface Listener {
  address: string;
  udp: dgram.Socket;
  tcp: net.Server;
  conns: Set<net.Socket>;
  /** aborted on close: in-flight forwards for this address give up */
  abort: AbortController;
  closed: boolean;
}

/** "ip", "ip:port" or "[ipv6]:port" */
export function parseUpstream(s: string): Upstream | undefined {
  const t = s.trim();
  const fam = net.isIP(t);
  if (fam) return { host: t, port: 53, family: fam as 4 | 6 };
  let m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(t);
  if (m && net.isIPv6(m[1]!)) return checkPort({ host: m[1]!, port: Number(m[2]), family: 6 });
  m = /^([^:]+):(\d{1,5})$/.exec(t);
  if (m && net.isIPv4(m[1]!)) return checkPort({ host: m[1]!, port: Number(m[2]), family: 4 });
  return undefined;
}

function checkPort(u: Upstream): Upstream | undefined {
  return u.port > 0 && u.port < 65536 ? u : undefined;
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length, 0);
  return Buffer.concat([len, msg]);
}

/** "::ffff:10.0.0.2" (a v4 peer seen by a dual-stack socket) is 10.0.0.2 */
/** A 'data' handler that cuts a TCP byte stream into DNS messages (each prefixed by its 2-byte length). */
function unframer(onMessage: (msg: Buffer) => void): (d: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const msg = Buffer.from(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
      onMessage(msg);
    }
  };
}

function plainAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}

interface Exchange {
  result: Promise<Buffer | undefined>;
  cancel: () => void;
}

/** One query to one upstream over UDP: the first matching response, or undefined on error/cancel. */
function exchangeUdp(up: Upstream, raw: Buffer, q: Query): Exchange {
  let cancel = (): void => {};
  const result = new Promise<Buffer | undefined>((resolve) => {
    const sock = dgram.createSocket(up.family === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const done = (r: Buffer | undefined): void => {
      if (settled) return;
      settled = true;
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      resolve(r);
    };
    cancel = () => done(undefined);
    sock.on('error', () => done(undefined));
    sock.on('message', (msg) => {
      if (responseMatches(q, msg)) done(msg);
    });
    try {
      // connected: only the upstream's datagrams reach us, and ICMP unreachable surfaces as an error
      sock.connect(up.port, up.host, () => {
        if (settled) return;
        sock.send(raw, (err) => {
          if (err) done(undefined);
        });
      });
    } catch {
      done(undefined);
    }
  });
  return { result, cancel };
}

/** One query to one upstream over TCP (2-byte length prefix). */
function exchangeTcp(up: Upstream, raw: Buffer, q: Query): Exchange {
  let cancel = (): void => {};
  const result = new Promise<Buffer | undefined>((resolve) => {
    let settled = false;
    const sock = net.connect({ host: up.host, port: up.port });
    const done = (r: Buffer | undefined): void => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(r);
    };
    cancel = () => done(undefined);
    sock.setNoDelay(true);
    sock.on('connect', () => sock.write(frame(raw)));
    sock.on('data', unframer((msg) => {
      if (responseMatches(q, msg)) done(msg);
    }));
    sock.on('error', () => done(undefined));
    sock.on('close', () => done(undefined));
  });
  return { result, cancel };
}

export class DnsServer {
  private readonly log: (m: string) => void;
  private readonly forwardTimeoutMs: number;
  readonly port: number;
  private readonly listeners = new Map<string, Listener>();
  private readonly pending = new Map<string, Promise<void>>();
  private forwards = 0;

  constructor(
    private readonly resolver: DnsResolver,
    opts: DnsServerOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
    this.forwardTimeoutMs = opts.forwardTimeoutMs ?? 2000;
    this.port = opts.port ?? 53;
  }

  /** The addresses being served. */
  addresses(): string[] {
    return [...this.listeners.keys()];
  }

  /** Serve UDP and TCP on `address:port`. A no-op when already serving there. */
  listen(address: string): Promise<void> {
    if (this.listeners.has(address)) return Promise.resolve();
    const inFlight = this.pending.get(address);
    if (inFlight) return inFlight;
    if (!net.isIPv4(address)) return Promise.reject(new Error(`dns: invalid listen address ${JSON.stringify(address)}`));
    const p = this.open(address).finally(() => this.pending.delete(address));
    this.pending.set(address, p);
    return p;
  }

  /** Stop serving `address` (a no-op when not serving it); its ports are free when this resolves. */
  async close(address: string): Promise<void> {
    const inFlight = this.pending.get(address);
    if (inFlight) await inFlight.catch(() => {});
    const l = this.listeners.get(address);
    if (!l) return;
    this.listeners.delete(address);
    await this.shut(l);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => p.catch(() => {})));
    await Promise.all([...this.listeners.keys()].map((a) => this.close(a)));
  }

  private async open(address: string): Promise<void> {
    const udp = dgram.createSocket({ type: 'udp4' });
    const tcp = net.createServer();
    const l: Listener = { address, udp, tcp, conns: new Set(), abort: new AbortController(), closed: false };
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address, port: this.port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: this.port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await this.shut(l);
      throw err;
    }
    udp.on('error', (err) => this.log(`dns ${address}: udp: ${err.message}`));
    tcp.on('error', (err) => this.log(`dns ${address}: tcp: ${err.message}`));
    udp.on('message', (msg, rinfo) => this.onUdp(l, msg, rinfo));
    tcp.on('connection', (sock) => this.onTcp(l, sock));
    this.listeners.set(address, l);
    this.log(`dns: listening on ${address}:${this.port}`);
  }

  private async shut(l: Listener): Promise<void> {
    l.closed = true;
    l.abort.abort();
    for (const c of l.conns) c.destroy();
    l.conns.clear();
    await Promise.all([
      new Promise<void>((resolve) => {
        try {
          l.udp.close(() => resolve());
        } catch {
          resolve(); // never bound, or already closed
        }
      }),
      new Promise<void>((resolve) => {
        if (!l.tcp.listening) return resolve();
        l.tcp.close(() => resolve());
      }),
    ]);
  }

  private onUdp(l: Listener, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.handle(l, msg, plainAddress(rinfo.address), 'udp').then(
      (resp) => {
        if (!resp || l.closed) return;
        l.udp.send(resp, rinfo.port, rinfo.address, (err) => {
          if (err) this.log(`dns ${l.address}: reply to ${rinfo.address}: ${err.message}`);
        });
      },
      (err: unknown) => this.log(`dns ${l.address}: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private onTcp(l: Listener, sock: net.Socket): void {
    if (l.closed) {
      sock.destroy();
      return;
    }
    l.conns.add(sock);
    const client = plainAddress(sock.remoteAddress);
    sock.setNoDelay(true);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('close', () => l.conns.delete(sock));
    sock.on('data', unframer((msg) => {
      this.handle(l, msg, client, 'tcp').then(
        (resp) => {
          if (resp && !sock.destroyed && sock.writable) sock.write(frame(resp));
        },
        (err: unknown) => this.log(`dns ${l.address}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }));
  }

  /** The response to one message, or undefined for no response at all. */
  private async handle(l: Listener, msg: Buffer, client: string, proto: Proto): Promise<Buffer | undefined> {
    const q = parseQuery(msg);
    if (!q) return undefined; // malformed, or not a query: ignore
    if (q.opcode !== 0) return buildResponse(q, { rcode: RCODE_NOTIMP });
    if (q.qdcount !== 1 || !q.question) return buildResponse(q, { rcode: RCODE_FORMERR });
    const limit = proto === 'udp' ? udpLimit(q) : 65535;

    let local: Buffer | undefined;
    try {
      local = this.answerLocally(q, client, limit);
    } catch (err) {
      this.log(`dns: resolving ${q.question.name} for ${client}: ${err instanceof Error ? err.message : String(err)}`);
      return buildResponse(q, { rcode: RCODE_SERVFAIL });
    }
    if (local) return local;

    const resp = await this.forward(l, q, msg, client, proto);
    if (!resp) return buildResponse(q, { rcode: RCODE_SERVFAIL });
    return proto === 'udp' && resp.length > limit ? truncateResponse(resp, q) : resp;
  }

  /** Our own answer, or undefined when the name is not ours (forward it). */
  private answerLocally(q: Query, client: string, limit: number): Buffer | undefined {
    const question = q.question!;
    if (question.class !== CLASS_IN || !question.plain || question.name === '') return undefined;
    const name = question.name;
    switch (question.type) {
      case TYPE_A: {
        const ans = this.resolver.lookupA(client, name);
        if (!ans) return undefined;
        return this.reply(q, ans.addresses ?? [], (ip) => aRecord(ip, RESPONSE_TTL), limit);
      }
      case TYPE_AAAA: {
        // IPv4-only networks: a name we know has no AAAA, answer so rather than ask upstream
        const ans = this.resolver.lookupA(client, name);
        if (!ans) return undefined;
        return buildResponse(q, { rcode: RCODE_NOERROR, authoritative: true, limit });
      }
      case TYPE_PTR: {
        const ip = reverseName(name);
        if (!ip) return undefined;
        const ans = this.resolver.lookupPTR(client, ip);
        if (!ans) return undefined;
        return this.reply(q, ptrNames(ans), (n) => ptrRecord(n, RESPONSE_TTL), limit);
      }
      default:
        return undefined;
    }
  }

  private reply(q: Query, items: string[], encode: (s: string) => Buffer | undefined, limit: number): Buffer {
    const answers: Buffer[] = [];
    for (const it of items) {
      const rr = encode(it);
      if (rr) answers.push(rr);
      else this.log(`dns: ${q.question!.name}: skipping invalid record ${JSON.stringify(it)}`);
    }
    return buildResponse(q, { rcode: RCODE_NOERROR, authoritative: true, answers, limit });
  }

  /** The client's upstreams, minus anything that would loop back to us. */
  private upstreamsFor(client: string): Upstream[] {
    const out: Upstream[] = [];
    let list: string[];
    try {
      list = this.resolver.upstreams(client);
    } catch (err) {
      this.log(`dns: upstreams for ${client}: ${err instanceof Error ? err.message : String(err)}`);
      return out;
    }
    for (const s of list) {
      const u = parseUpstream(s);
      if (!u) {
        this.log(`dns: ignoring invalid upstream ${JSON.stringify(s)}`);
        continue;
      }
      if (u.host === EMBEDDED_RESOLVER_IP || (u.port === this.port && (this.listeners.has(u.host) || this.pending.has(u.host)))) {
        continue; // that is us (or Docker's embedded resolver): forwarding there would loop
      }
      if (out.some((o) => o.host === u.host && o.port === u.port)) continue;
      out.push(u);
      if (out.length === MAX_UPSTREAMS) break;
    }
    return out;
  }

  /**
   * Forward the query's bytes to the client's upstreams. The first starts at once; each further one
   * starts when the one before has failed or its share of the time budget has run out, while earlier
   * ones may still answer. The first good answer wins; SERVFAIL and REFUSED count as failures (as in
   * Docker) and move on to the next upstream. `undefined` when no upstream answered in time.
   */
  private forward(l: Listener, q: Query, raw: Buffer, client: string, proto: Proto): Promise<Buffer | undefined> {
    const targets = this.upstreamsFor(client);
    const name = q.question?.name ?? '';
    if (targets.length === 0) {
      this.log(`dns: no upstream for ${name} (client ${client})`);
      return Promise.resolve(undefined);
    }
    if (this.forwards >= MAX_CONCURRENT_FORWARDS) {
      this.log(`dns: more than ${MAX_CONCURRENT_FORWARDS} forwarded queries in flight, failing ${name}`);
      return Promise.resolve(undefined);
    }
    if (l.abort.signal.aborted) return Promise.resolve(undefined);
    this.forwards++;
    const budget = this.forwardTimeoutMs;
    const slot = budget / targets.length;
    const signal = l.abort.signal;

    return new Promise<Buffer | undefined>((resolve) => {
      let next = 0;
      let running = 0;
      let done = false;
      let slotTimer: NodeJS.Timeout | undefined;
      const cancels: Array<() => void> = [];
      const finish = (r: Buffer | undefined): void => {
        if (done) return;
        done = true;
        this.forwards--;
        clearTimeout(deadline);
        clearTimeout(slotTimer);
        signal.removeEventListener('abort', onAbort);
        for (const c of cancels) c();
        if (!r && !signal.aborted) this.log(`dns: forwarding ${name} for ${client} failed: no upstream answered`);
        resolve(r);
      };
      const onAbort = (): void => finish(undefined);
      const deadline = setTimeout(() => finish(undefined), budget);
      signal.addEventListener('abort', onAbort, { once: true });

      const launch = (): void => {
        clearTimeout(slotTimer);
        if (done) return;
        if (next >= targets.length) {
          if (running === 0) finish(undefined);
          return;
        }
        const up = targets[next++]!;
        running++;
        const ex = proto === 'tcp' ? exchangeTcp(up, raw, q) : exchangeUdp(up, raw, q);
        cancels.push(ex.cancel);
        void ex.result.then((resp) => {
          running--;
          if (done) return;
          const rc = resp ? rcodeOf(resp) : -1;
          if (resp && rc !== RCODE_SERVFAIL && rc !== RCODE_REFUSED) return finish(resp);
          this.log(`dns: upstream ${up.host}:${up.port} (${proto}) ${resp ? `answered rcode ${rc}` : 'failed'} for ${name}`);
          launch();
        });
        if (next < targets.length) slotTimer = setTimeout(launch, slot);
      };
      launch();
    });
  }
}

function ptrNames(ans: DnsAnswer): string[] {
  return ans.ptr ?? [];
}
