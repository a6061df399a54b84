/**
 * The environment variables of legacy links (--link on the default bridge), as dockerd (up to v27, API
 * 1.47) sets them: for a link named /me/db to a container at 172.17.0.3 exposing 5432/tcp,
 *   DB_PORT=tcp://172.17.0.3:5432, DB_PORT_5432_TCP=..., DB_PORT_5432_TCP_ADDR/_PORT/_PROTO,
 *   _START/_END/_PORT_START/_PORT_END for runs of consecutive ports, DB_NAME=/me/db, and DB_ENV_<K>
 *   for each variable of the linked container (except HOME and PATH). Pure.
 */

interface Port { num: number; proto: string }

/** TCP first, then by protocol name; by number within a protocol (dockerd's withTCPPriority). */
function comparePorts(a: Port, b: Port): number {
  if (a.proto === b.proto) return a.num - b.num;
  if (a.proto === 'tcp') return -1;
  if (b.proto === 'tcp') return 1;
  return a.proto < b.proto ? -1 : 1;
}

/** ExposedPorts keys ("80/tcp", "53/udp", "8080") as ports. */
function portsOf(exposed: Record<string, unknown> | null | undefined): Port[] {
  return Object.keys(exposed ?? {}).map((k) => {
    const [n, proto] = k.split('/');
    return { num: Number(n), proto: (proto || 'tcp').toLowerCase() };
  }).filter((p) => Number.isInteger(p.num) && p.num > 0);
}

/**
 * linkName: the link's full name, "/<container>/<alias>"; childIp: the linked container's address on
 * the default bridge; childEnv and exposed: its Config.Env and Config.ExposedPorts.
 */
export function linkEnvVars(linkName: string, childIp: string, childEnv: readonly string[] | null | undefined, exposed: Record<string, unknown> | null | undefined): string[] {
  const alias = (linkName.split('/').pop() ?? '').toUpperCase().replace(/-/g, '_');
  const ports = portsOf(exposed).sort(comparePorts);
  const env: string[] = [];
  const url = (p: Port) => `${p.proto}://${childIp}:${p.num}`;
  const prefixOf = (p: Port) => `${alias}_PORT_${p.num}_${p.proto.toUpperCase()}`;
  let start: Port | undefined;
  let end: Port | undefined;
  ports.forEach((p, i) => {
    if (i === 0) {
      start = end = p;
      env.push(`${alias}_PORT=${url(p)}`);
    }
    const prefix = prefixOf(p);
    env.push(`${prefix}=${url(p)}`, `${prefix}_ADDR=${childIp}`, `${prefix}_PORT=${p.num}`, `${prefix}_PROTO=${p.proto}`);
    // a run of consecutive ports of one protocol also gets its bounds, once the run ends
    if (p.num === end!.num + 1 && p.proto === end!.proto) {
      end = p;
      if (i < ports.length - 1) return;
    }
    if (end !== start) {
      const rp = prefixOf(start!);
      env.push(`${rp}_START=${url(start!)}`, `${rp}_PORT_START=${start!.num}`, `${rp}_END=${url(end!)}`, `${rp}_PORT_END=${end!.num}`);
    }
    start = end = p;
  });
  env.push(`${alias}_NAME=${linkName}`);
  for (const v of childEnv ?? []) {
    const eq = v.indexOf('=');
    if (eq < 0) continue;
    const name = v.slice(0, eq);
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${alias}_ENV_${name}=${v.slice(eq + 1)}`);
  }
  return env;
}
