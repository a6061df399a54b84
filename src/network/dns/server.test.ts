import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import { DnsServer, parseUpstream } from './index.js';
import type { DnsResolver } from './index.js';
import { reverseName } from './wire.js';

// Everything here stays on 127.0.0.0/8: the server on 127.0.0.2 (and .6), fake upstreams on .3/.4,
// clients bound to .5.
const SERVER = '127.0.0.2';
const SERVER2 = '127.0.0.6';
const UPSTREAM = '127.0.0.3';
const SILENT = '127.0.0.4';
const CLIENT = '127.0.0.5';

const randomPort = (): number => 20000 + Math.floor(Math.random() * 20000);

async function withPortRetry<T>(fn: (port: number) => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn(randomPort());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i >= 20) throw err;
    }
  }
}

/** A fake upstream DNS server on UDP and TCP; `answer` builds the response (null: stay silent). */
interface FakeUpstream {
  port: number;
  queries: Array<{ proto: 'udp' | 'tcp'; name: string; type: string }>;
  close(): Promise<void>;
}

async function startUpstream(address: string, answer: (q: packet.DecodedPacket) => packet.Packet | null): Promise<FakeUpstream> {
  return withPortRetry(async (port) => {
    const udp = dgram.createSocket('udp4');
    const tcp = net.createServer();
    const conns = new Set<net.Socket>();
    const queries: FakeUpstream['queries'] = [];
    const respond = (msg: Buffer, proto: 'udp' | 'tcp'): Buffer | undefined => {
      const q = packet.decode(msg);
      queries.push({ proto, name: q.questions![0]!.name, type: q.questions![0]!.type });
      const r = answer(q);
      return r ? packet.encode({ ...r, id: q.id, type: 'response', questions: q.questions }) : undefined;
    };
    const close = async (): Promise<void> => {
      for (const c of conns) c.destroy();
      await Promise.all([
        new Promise<void>((r) => {
          try {
            udp.close(() => r());
          } catch {
            r();
          }
        }),
        new Promise<void>((r) => (tcp.listening ? tcp.close(() => r()) : r())),
      ]);
    };
    udp.on('message', (msg, rinfo) => {
      const r = respond(msg, 'udp');
      if (r) udp.send(r, rinfo.port, rinfo.address);
    });
    tcp.on('connection', (s) => {
      conns.add(s);
      s.on('close', () => conns.delete(s));
      s.on('error', () => s.destroy());
      s.on('data', (d) => {
        const r = respond(d.subarray(2, 2 + d.readUInt16BE(0)), 'tcp');
        if (r) s.write(packet.streamEncode({ ...packet.decode(r) }));
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, address, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, address, () => resolve());
      });
    } catch (err) {
      await close();
      throw err;
    }
    return { port, queries, close };
  });
}

async function startServer(resolver: DnsResolver, opts: { forwardTimeoutMs?: number } = {}, address = SERVER): Promise<{ server: DnsServer; port: number }> {
  return withPortRetry(async (port) => {
    const server = new DnsServer(resolver, { ...opts, port });
    await server.listen(address);
    return { server, port };
  });
}

let nextId = 1;
function query(name: string, type: packet.RecordType, edns = false): Buffer {
  return packet.encode({
    type: 'query',
    id: nextId++,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  });
}

/** Send one datagram from CLIENT; the reply, or undefined after `timeoutMs`. */
async function udpAsk(port: number, msg: Buffer, timeoutMs = 3000, to = SERVER): Promise<Buffer | undefined> {
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, CLIENT, () => resolve());
    });
    return await new Promise<Buffer | undefined>((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      sock.on('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      sock.send(msg, port, to, (err) => {
        if (err) {
          clearTimeout(timer);
          reject(err);
        }
      });
    });
  } finally {
    sock.close();
  }
}

/** One TCP query from CLIENT (after `junk` frames on the same connection); the first reply. */
async function tcpAsk(port: number, msg: Buffer, to = SERVER, junk: Buffer[] = []): Promise<Buffer> {
  const sock = net.connect({ host: to, port, localAddress: CLIENT });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error('tcp query timed out')), 5000);
      sock.on('connect', () => {
        for (const m of [...junk, msg]) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(m.length);
          sock.write(Buffer.concat([len, m]));
        }
      });
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
      sock.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } finally {
    sock.destroy();
  }
}

function decode(b: Buffer | undefined): packet.DecodedPacket & { rcode: string } {
  assert.ok(b, 'expected a reply');
  return packet.decode(b) as packet.DecodedPacket & { rcode: string };
}

const MANY = Array.from({ length: 40 }, (_, i) => `172.20.1.${i + 1}`);

function fakeResolver(): DnsResolver & { calls: string[]; ups: string[] } {
  const r = {
    calls: [] as string[],
    ups: [] as string[],
    lookupA(client: string, name: string) {
      r.calls.push(`A ${client} ${name}`);
      if (name === 'web' || name === 'web.mynet') return { addresses: ['172.20.0.2', '172.20.0.3'] };
      if (name === 'nothing') return { addresses: [] };
      if (name === 'many') return { addresses: MANY };
      return undefined;
    },
    lookupPTR(client: string, ip: string) {
      r.calls.push(`PTR ${client} ${ip}`);
      if (ip === '172.20.0.2') return { ptr: ['web.mynet'] };
      return undefined;
    },
    upstreams(client: string) {
      r.calls.push(`UP ${client}`);
      return r.ups;
    },
  };
  return r;
}

describe('embedded DNS server', () => {
  const resolver = fakeResolver();
  let server: DnsServer;
  let port: number;
  let upstream: FakeUpstream;
  let silent: FakeUpstream;

  before(async () => {
    ({ server, port } = await startServer(resolver, { forwardTimeoutMs: 600 }));
    upstream = await startUpstream(UPSTREAM, (q) => {
      const qq = q.questions![0]!;
      if (qq.name === 'nx.example.com') return { flags: packet.RECURSION_AVAILABLE | 3, answers: [] };
      if (qq.type === 'A') return { flags: packet.RECURSION_AVAILABLE, answers: [{ type: 'A', name: qq.name, ttl: 42, data: '93.184.216.34' }] };
      return { flags: packet.RECURSION_AVAILABLE, answers: [] };
    });
    silent = await startUpstream(SILENT, () => null);
  });

  after(async () => {
    await server?.closeAll();
    await upstream?.close();
    await silent?.close();
  });

  test('A for a known name: answered here, in order, TTL 600, id/RD/question kept, RA set', async () => {
    const q = query('web', 'A');
    const r = decode(await udpAsk(port, q));
    assert.equal(r.id, packet.decode(q).id);
    assert.equal(r.type, 'response');
    assert.equal(r.rcode, 'NOERROR');
    assert.ok(r.flag_rd);
    assert.ok(r.flag_ra);
    assert.ok(!r.flag_tc);
    assert.deepEqual(r.questions, [{ name: 'web', type: 'A', class: 'IN' }]);
    assert.deepEqual(
      r.answers!.map((a) => [a.type, a.name, (a as packet.StringAnswer).data, (a as packet.StringAnswer).ttl]),
      [
        ['A', 'web', '172.20.0.2', 600],
        ['A', 'web', '172.20.0.3', 600],
      ],
    );
    assert.ok(resolver.calls.includes(`A ${CLIENT} web`), 'resolver sees the query source as the client');
  });

  test('names are case-insensitive and lose the trailing dot; the answer keeps the name as asked', async () => {
    resolver.calls.length = 0;
    const r = decode(await udpAsk(port, query('WEB.MyNet.', 'A')));
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(resolver.calls, [`A ${CLIENT} web.mynet`]);
    assert.equal(r.answers!.length, 2);
    assert.equal(r.answers![0]!.name, 'WEB.MyNet');
  });

  test('a known name without addresses: NOERROR, no records, nothing forwarded', async () => {
    resolver.ups = [`${UPSTREAM}:${upstream.port}`];
    const before = upstream.queries.length;
    const r = decode(await udpAsk(port, query('nothing', 'A')));
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(r.answers, []);
    assert.equal(upstream.queries.length, before);
  });

  test('AAAA for a known name: NOERROR with no records; for an unknown name: forwarded', async () => {
    resolver.ups = [`${UPSTREAM}:${upstream.port}`];
    const before = upstream.queries.length;
    const r = decode(await udpAsk(port, query('web', 'AAAA')));
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(r.answers, []);
    assert.equal(upstream.queries.length, before);

    const f = decode(await udpAsk(port, query('v6.example.com', 'AAAA')));
    assert.equal(f.rcode, 'NOERROR');
    assert.deepEqual(upstream.queries.at(-1), { proto: 'udp', name: 'v6.example.com', type: 'AAAA' });
  });

  test('PTR for a known address; unknown addresses are forwarded', async () => {
    resolver.calls.length = 0;
    resolver.ups = [`${UPSTREAM}:${upstream.port}`];
    const r = decode(await udpAsk(port, query('2.0.20.172.in-addr.arpa', 'PTR')));
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(
      r.answers!.map((a) => [a.type, a.name, (a as packet.StringAnswer).data, (a as packet.StringAnswer).ttl]),
      [['PTR', '2.0.20.172.in-addr.arpa', 'web.mynet', 600]],
    );
    assert.ok(resolver.calls.includes(`PTR ${CLIENT} 172.20.0.2`));

    const before = upstream.queries.length;
    const f = decode(await udpAsk(port, query('9.9.9.9.in-addr.arpa', 'PTR')));
    assert.equal(f.rcode, 'NOERROR');
    assert.equal(upstream.queries.length, before + 1);
  });

  test('an unknown name is forwarded to the upstream ("ip:port") and its answer relayed', async () => {
    resolver.ups = [`${UPSTREAM}:${upstream.port}`];
    const q = query('example.com', 'A');
    const r = decode(await udpAsk(port, q));
    assert.equal(r.id, packet.decode(q).id);
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(
      r.answers!.map((a) => [a.name, (a as packet.StringAnswer).data, (a as packet.StringAnswer).ttl]),
      [['example.com', '93.184.216.34', 42]],
    );
    assert.deepEqual(upstream.queries.at(-1), { proto: 'udp', name: 'example.com', type: 'A' });

    // upstream NXDOMAIN is an answer too, relayed as is
    const nx = decode(await udpAsk(port, query('nx.example.com', 'A')));
    assert.equal(nx.rcode, 'NXDOMAIN');
  });

  test('an upstream that does not answer: the next one is tried; none answering is SERVFAIL', async () => {
    resolver.ups = [`${SILENT}:${silent.port}`, `${UPSTREAM}:${upstream.port}`];
    const t0 = Date.now();
    const r = decode(await udpAsk(port, query('example.org', 'A')));
    assert.equal(r.rcode, 'NOERROR');
    assert.equal((r.answers![0] as packet.StringAnswer).data, '93.184.216.34');
    assert.ok(Date.now() - t0 >= 250, 'the second upstream is asked after the first one\'s share of the budget');
    assert.deepEqual(silent.queries.at(-1), { proto: 'udp', name: 'example.org', type: 'A' });

    resolver.ups = [`${SILENT}:${silent.port}`];
    const t1 = Date.now();
    const q = query('example.net', 'A');
    const f = decode(await udpAsk(port, q));
    assert.equal(f.rcode, 'SERVFAIL');
    assert.equal(f.id, packet.decode(q).id);
    assert.ok(f.flag_rd && f.flag_ra);
    assert.deepEqual(f.questions, [{ name: 'example.net', type: 'A', class: 'IN' }]);
    assert.ok(Date.now() - t1 >= 500, 'SERVFAIL only after the forward budget');
  });

  test('no usable upstream (none, ourselves, 127.0.0.11): SERVFAIL at once, no loop', async () => {
    for (const ups of [[], ['127.0.0.11'], [`${SERVER}:${port}`], ['not-an-ip']]) {
      resolver.ups = ups;
      const t0 = Date.now();
      const r = decode(await udpAsk(port, query('loop.example.com', 'A')));
      assert.equal(r.rcode, 'SERVFAIL', `upstreams ${JSON.stringify(ups)}`);
      assert.ok(Date.now() - t0 < 400, `upstreams ${JSON.stringify(ups)}: not waited for`);
    }
  });

  test('TCP: answered here, and forwarded over TCP', async () => {
    const q = query('web', 'A');
    const r = decode(await tcpAsk(port, q));
    assert.equal(r.id, packet.decode(q).id);
    assert.deepEqual(
      r.answers!.map((a) => (a as packet.StringAnswer).data),
      ['172.20.0.2', '172.20.0.3'],
    );

    resolver.ups = [`${UPSTREAM}:${upstream.port}`];
    const f = decode(await tcpAsk(port, query('tcp.example.com', 'A')));
    assert.equal((f.answers![0] as packet.StringAnswer).data, '93.184.216.34');
    assert.deepEqual(upstream.queries.at(-1), { proto: 'tcp', name: 'tcp.example.com', type: 'A' });
  });

  test('over 512 bytes on UDP without EDNS: TC set; with EDNS or over TCP: all records', async () => {
    const t = decode(await udpAsk(port, query('many', 'A')));
    assert.ok(t.flag_tc);
    assert.ok(t.answers!.length < MANY.length);

    const e = decode(await udpAsk(port, query('many', 'A', true)));
    assert.ok(!e.flag_tc);
    assert.equal(e.answers!.length, MANY.length);

    const c = decode(await tcpAsk(port, query('many', 'A')));
    assert.ok(!c.flag_tc);
    assert.deepEqual(
      c.answers!.map((a) => (a as packet.StringAnswer).data),
      MANY,
    );
  });

  test('malformed packets are ignored, and the server answers afterwards', async () => {
    const truncatedQuestion = query('example.com', 'A').subarray(0, 20);
    const response = packet.encode({ type: 'response', id: 7, questions: [{ type: 'A', name: 'web' }] });
    for (const junk of [Buffer.from([1, 2, 3]), truncatedQuestion, response, Buffer.alloc(0)]) {
      assert.equal(await udpAsk(port, junk, 300), undefined);
    }
    const r = decode(await udpAsk(port, query('web', 'A')));
    assert.equal(r.answers!.length, 2);
    // junk frames over TCP get no reply; the query after them on the same connection does
    const q = query('web', 'A');
    const c = decode(await tcpAsk(port, q, SERVER, [Buffer.from([9]), truncatedQuestion, response]));
    assert.equal(c.id, packet.decode(q).id);
    assert.equal(c.answers!.length, 2);
  });

  test('several addresses; listen twice is a no-op; closing an address frees its port', async () => {
    await server.listen(SERVER2);
    await server.listen(SERVER2);
    assert.deepEqual(server.addresses().sort(), [SERVER, SERVER2]);
    const r = decode(await udpAsk(port, query('web', 'A'), 3000, SERVER2));
    assert.equal(r.answers!.length, 2);

    await server.close(SERVER2);
    assert.deepEqual(server.addresses(), [SERVER]);
    // the ports are free again: bind them ourselves
    const udp = dgram.createSocket('udp4');
    const tcp = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, SERVER2, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, SERVER2, () => resolve());
      });
    } finally {
      udp.close();
      await new Promise<void>((r) => (tcp.listening ? tcp.close(() => r()) : r()));
    }
    // and the other address still answers
    assert.equal(decode(await udpAsk(port, query('web', 'A'))).answers!.length, 2);
  });
});

test('listen rejects when the port is taken, and leaves nothing behind', async () => {
  const resolver = fakeResolver();
  const { server, port } = await startServer(resolver);
  const other = new DnsServer(resolver, { port });
  try {
    await assert.rejects(other.listen(SERVER), /EADDRINUSE/);
    assert.deepEqual(other.addresses(), []);
    await assert.rejects(other.listen('not-an-address'), /invalid listen address/);
  } finally {
    await other.closeAll();
    await server.closeAll();
  }
});

test('upstream and reverse-name parsing', () => {
  assert.deepEqual(parseUpstream('10.0.0.1'), { host: '10.0.0.1', port: 53, family: 4 });
  assert.deepEqual(parseUpstream('10.0.0.1:5353'), { host: '10.0.0.1', port: 5353, family: 4 });
  assert.deepEqual(parseUpstream('2001:db8::1'), { host: '2001:db8::1', port: 53, family: 6 });
  assert.deepEqual(parseUpstream('[2001:db8::1]:54'), { host: '2001:db8::1', port: 54, family: 6 });
  assert.equal(parseUpstream('dns.example.com'), undefined);
  assert.equal(parseUpstream('10.0.0.1:99999'), undefined);

  assert.equal(reverseName('4.3.2.1.in-addr.arpa'), '1.2.3.4');
  assert.equal(reverseName('4.3.2.1.IN-ADDR.ARPA.'), '1.2.3.4');
  assert.equal(reverseName('3.2.1.in-addr.arpa'), undefined);
  assert.equal(reverseName('256.3.2.1.in-addr.arpa'), undefined);
  assert.equal(reverseName('01.3.2.1.in-addr.arpa'), undefined);
  const v6 = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa';
  assert.equal(reverseName(v6), '2001:db8::1');
});
