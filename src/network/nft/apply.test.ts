import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Firewall, NftError } from './apply.js';
import { HostFirewall } from './hostfw-apply.js';
import type { FirewallState } from './types.js';

const run = promisify(execFile);
const NFT = '/usr/sbin/nft';
const isRoot = process.getuid?.() === 0;

function state(table: string, bridge: string, hostPort: number): FirewallState {
  return {
    table,
    networks: [{ id: 'f'.repeat(64), bridge, subnet: '10.231.0.0/24', gateway: '10.231.0.1', internal: false, icc: true, masquerade: true }],
    endpoints: [{ bridge, hostIface: `${bridge}v`, ip: '10.231.0.2', mac: '02:42:0a:e7:00:02' }],
    ports: [{ proto: 'tcp', hostIp: '', hostPort, containerIp: '10.231.0.2', containerPort: 80, bridge }],
    loopbackDnat: true,
  };
}

/** `nft list table <family> <name>`: its output, or null when the table does not exist. */
async function listTable(family: string, table: string): Promise<string | null> {
  try {
    return (await run(NFT, ['list', 'table', family, table])).stdout;
  } catch {
    return null;
  }
}

test('apply loads the ruleset into the kernel, remove takes both tables away', {
  skip: !existsSync(NFT) ? `${NFT} missing` : !isRoot ? 'needs root' : false,
}, async () => {
  const hex = randomBytes(4).toString('hex');
  const table = `berth_t_${hex}`;
  const bridge = `bt${hex}`;
  const logs: string[] = [];
  const fw = new Firewall({ nft: NFT, log: (m) => logs.push(m) });
  try {
    await fw.apply(state(table, bridge, 18080));
    const inet = await listTable('inet', table);
    assert.ok(inet, 'inet table exists');
    assert.match(inet, /tcp dport 18080 dnat ip to 10\.231\.0\.2:80/);
    assert.match(inet, new RegExp(`ip saddr 10\\.231\\.0\\.0/24 oifname != "${bridge}" masquerade`));
    const br = await listTable('bridge', table);
    assert.ok(br, 'bridge table exists');
    assert.match(br, new RegExp(`"${bridge}v" \\. 10\\.231\\.0\\.2 \\. 02:42:0a:e7:00:02`));

    // applying again replaces (not appends to) the tables
    await fw.apply(state(table, bridge, 18081));
    const again = await listTable('inet', table);
    assert.match(again ?? '', /tcp dport 18081 dnat/);
    assert.doesNotMatch(again ?? '', /dport 18080/);
    assert.ok(logs.some((l) => l.includes(`applied tables ${table}`)));
  } finally {
    await fw.remove(table);
    assert.equal(await listTable('inet', table), null, 'inet table removed');
    assert.equal(await listTable('bridge', table), null, 'bridge table removed');
  }
  await fw.remove(table); // removing what is not there succeeds
});

/** A stand-in for nft: appends its stdin to a log and takes a while, or fails when asked to. */
async function fakeNft(dir: string, opts: { fail?: boolean } = {}): Promise<{ bin: string; log: string }> {
  const bin = path.join(dir, opts.fail ? 'nft-fail' : 'nft');
  const log = path.join(dir, 'calls.log');
  const body = opts.fail
    ? `#!/bin/sh\ncat >/dev/null\necho 'Error: boom in line 3' >&2\nexit 3\n`
    : `#!/bin/sh\n[ "$1 $2" = "-f -" ] || exit 64\n{ cat; echo '=== end of call'; } >> '${log}'\nsleep 0.2\n`;
  await fsp.writeFile(bin, body, { mode: 0o755 });
  return { bin, log };
}

test('concurrent applies run one at a time and coalesce to the latest state', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-nft-'));
  try {
    const { bin, log } = await fakeNft(dir);
    const fw = new Firewall({ nft: bin });
    const results = await Promise.all([
      fw.apply(state('berth', 'br0', 4001)), // starts at once
      fw.apply(state('berth', 'br0', 4002)), // queued ...
      fw.apply(state('berth', 'br0', 4003)), // ... replaced ...
      fw.apply(state('berth', 'br0', 4004)), // ... by this one
    ]);
    assert.deepEqual(results, [undefined, undefined, undefined, undefined]);
    const calls = (await fsp.readFile(log, 'utf8')).split('=== end of call\n').filter((c) => c !== '');
    assert.equal(calls.length, 2);
    assert.match(calls[0], /dport 4001 /);
    assert.match(calls[1], /dport 4004 /);
    assert.doesNotMatch(calls.join(''), /dport 400[23] /);

    // a remove keeps its place in the queue: applies after it are not merged into applies before it
    await fsp.rm(log);
    await Promise.all([
      fw.apply(state('berth', 'br0', 5001)),
      fw.apply(state('berth', 'br0', 5002)),
      fw.remove('berth'),
      fw.apply(state('berth', 'br0', 5003)),
    ]);
    const seq = (await fsp.readFile(log, 'utf8')).split('=== end of call\n').filter((c) => c !== '');
    assert.equal(seq.length, 4);
    assert.match(seq[0], /dport 5001 /);
    assert.match(seq[1], /dport 5002 /);
    assert.match(seq[2], /removes this daemon's firewall tables/);
    assert.match(seq[3], /dport 5003 /);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('nft failure rejects every coalesced caller with stderr and exit code; the queue goes on', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-nft-'));
  try {
    const { bin } = await fakeNft(dir, { fail: true });
    const fw = new Firewall({ nft: bin });
    const all = await Promise.allSettled([fw.apply(state('berth', 'br0', 1)), fw.apply(state('berth', 'br0', 2)),
      fw.apply(state('berth', 'br0', 3))]);
    for (const r of all) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason;
      assert.ok(err instanceof NftError);
      assert.equal(err.exitCode, 3);
      assert.match(err.message, /exit code 3/);
      assert.match(err.message, /boom in line 3/);
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('an invalid state is rejected without running nft; a missing nft is reported', async () => {
  const fw = new Firewall({ nft: '/nonexistent/nft' });
  await assert.rejects(fw.apply({ ...state('bad name', 'br0', 1) }), /invalid firewall table name/);
  await assert.rejects(fw.apply(state('berth', 'br0', 1)), (err: Error & { kind?: string }) =>
    err.kind === 'Unavailable' && /cannot run \/nonexistent\/nft/.test(err.message));
});

test('each apply hands the bridges to the host firewall sync, remove hands it none; a failing sync fails no request', {
  skip: !existsSync(NFT) ? `${NFT} missing` : !isRoot ? 'needs root' : false,
}, async () => {
  const hex = randomBytes(4).toString('hex');
  const table = `berth_t_${hex}`;
  const bridge = `bt${hex}`;
  const calls: string[] = [];
  const logs: string[] = [];
  let fail = false;
  const host = {
    async sync(bridges: { bridge: string; internal: boolean; dns?: string }[]) {
      calls.push(JSON.stringify(bridges));
      if (fail) throw new Error('iptables is broken');
    },
    warnings: () => ['WARNING: something was found'],
  };
  const fw = new Firewall({ nft: NFT, log: (m) => logs.push(m), host });
  try {
    const s = state(table, bridge, 18090);
    s.networks[0].dns = '10.231.0.1';
    await fw.apply(s);
    fail = true;
    await fw.apply(state(table, bridge, 18091));
    assert.ok(logs.some((l) => l.includes('host firewall sync failed: iptables is broken')), logs.join('\n'));
    fail = false;
    await fw.remove(table);
    assert.deepEqual(calls, [
      JSON.stringify([{ bridge, internal: false, dns: '10.231.0.1' }]),
      JSON.stringify([{ bridge, internal: false }]),
      '[]',
    ]);
    assert.deepEqual(fw.warnings(), ['WARNING: something was found']);
  } finally {
    await fw.remove(table);
  }
});

test('a sync with the bridges already synced returns at once, even while a periodic check runs', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-hostfw-'));
  try {
    // an nft that lists no chains, slowly, and records each call
    const log = path.join(dir, 'calls.log');
    const bin = path.join(dir, 'nft');
    await fsp.writeFile(bin, `#!/bin/sh\necho "$*" >> '${log}'\nsleep 0.3\necho '{"nftables": []}'\n`, { mode: 0o755 });
    const hostfw = new HostFirewall({ table: 'bt_unit_hostfw', nft: bin });
    await hostfw.sync([]);
    const calls = async () => (await fsp.readFile(log, 'utf8')).split('\n').filter(Boolean).length;
    assert.equal(await calls(), 1, 'the first sync looks at the host');
    let checked = false;
    const check = hostfw.sync([], true).then(() => { checked = true; });
    await hostfw.sync([]);
    assert.equal(checked, false, 'the sync returned while the periodic check still runs: it did not wait for it');
    await check;
    assert.equal(await calls(), 2, 'only the forced check listed the chains again');
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
