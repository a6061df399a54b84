/**
 * The userland proxy (daemon.json `"userland-proxy": true`): for each published port a listener on
 * the host address and port that relays to the container, as Docker's docker-proxy does. Published
 * ports then hold their host port, and 127.0.0.1 is served here instead of by DNAT + route_localnet.
 * Berth's default is the kernel path (faster; see docs/networking.md); this exists for hosts that
 * want the proxy's behaviour.
 */
import net from 'node:net';
import dgram from 'node:dgram';

export interface ProxyTarget {
  proto: 'tcp' | 'udp' | 'sctp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

interface Running { close(): void }

const UDP_IDLE_MS = 90_000;

function tcpProxy(t: ProxyTarget, log: (m: string) => void): Promise<Running> {
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: t.containerIp, port: t.containerPort });
    client.pipe(upstream).pipe(client);
    const kill = () => { client.destroy(); upstream.destroy(); };
    client.on('error', kill);
    upstream.on('error', kill);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: t.hostIp || '0.0.0.0', port: t.hostPort, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', (e) => log(`proxy ${t.hostIp}:${t.hostPort}: ${e.message}`));
      resolve({ close: () => { server.close(); } });
    });
  });
}

function udpProxy(t: ProxyTarget, log: (m: string) => void): Promise<Running> {
  const sock = dgram.createSocket('udp4');
  const flows = new Map<string, { s: dgram.Socket; timer: NodeJS.Timeout }>();
  sock.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let f = flows.get(key);
    if (!f) {
      const s = dgram.createSocket('udp4');
      s.on('message', (reply) => sock.send(reply, from.port, from.address));
      s.on('error', () => s.close());
      f = { s, timer: setTimeout(() => undefined, 0) };
      flows.set(key, f);
    }
    clearTimeout(f.timer);
    const flow = f;
    flow.timer = setTimeout(() => { flow.s.close(); flows.delete(key); }, UDP_IDLE_MS);
    flow.s.send(msg, t.containerPort, t.containerIp);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(t.hostPort, t.hostIp || '0.0.0.0', () => {
      sock.off('error', reject);
      sock.on('error', (e) => log(`proxy udp ${t.hostIp}:${t.hostPort}: ${e.message}`));
      resolve({
        close: () => {
          for (const f of flows.values()) { clearTimeout(f.timer); f.s.close(); }
          flows.clear();
          sock.close();
        },
      });
    });
  });
}

export class UserlandProxy {
  private readonly running = new Map<string, Running[]>();

  constructor(private readonly log: (m: string) => void) {}

  /** Starts one listener per target for `owner`; all or nothing. */
  async start(owner: string, targets: ProxyTarget[]): Promise<void> {
    const got: Running[] = [];
    try {
      for (const t of targets) {
        if (t.proto === 'sctp') continue;
        got.push(await (t.proto === 'tcp' ? tcpProxy(t, this.log) : udpProxy(t, this.log)));
      }
    } catch (e) {
      for (const r of got) r.close();
      throw e;
    }
    this.stop(owner);
    this.running.set(owner, got);
  }

  stop(owner: string): void {
    for (const r of this.running.get(owner) ?? []) r.close();
    this.running.delete(owner);
  }

  stopAll(): void {
    for (const owner of [...this.running.keys()]) this.stop(owner);
  }
}
