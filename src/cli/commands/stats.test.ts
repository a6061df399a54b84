/**
 * `berth stats --no-stream` and `berth update` against a fake daemon: the expected texts and request
 * bodies are what docker 28 prints and sends for the same answers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fakeDaemon } from '../../client/fakedaemon.js';
import { runCli } from '../testutil.js';
import { cpuPercent, entryFromSample, memUsageNoCache, statsContext } from '../format/stats.js';

const A = `${'a'.repeat(12)}${'1'.repeat(52)}`;
const B = `${'b'.repeat(12)}${'2'.repeat(52)}`;
const throttling = { periods: 0, throttled_periods: 0, throttled_time: 0 };
const sample = {
  read: '2024-06-01T12:00:01Z', preread: '2024-06-01T12:00:00Z', name: '/web', id: A,
  pids_stats: { current: 3, limit: 100 },
  blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'read', value: 1234567 }, { major: 8, minor: 0, op: 'write', value: 8900 }, { major: 8, minor: 0, op: 'Read', value: 1000 }] },
  num_procs: 0, storage_stats: {},
  cpu_stats: { cpu_usage: { total_usage: 2_500_000_000, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: 400_000_000_000, online_cpus: 4, throttling_data: throttling },
  precpu_stats: { cpu_usage: { total_usage: 2_000_000_000, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: 396_000_000_000, online_cpus: 4, throttling_data: throttling },
  memory_stats: { usage: 10_485_760, stats: { inactive_file: 2_097_152 }, limit: 67_108_864 },
  networks: {
    eth0: { rx_bytes: 1500, rx_packets: 1, rx_errors: 0, rx_dropped: 0, tx_bytes: 2_500_000, tx_packets: 1, tx_errors: 0, tx_dropped: 0 },
    eth1: { rx_bytes: 500, rx_packets: 1, rx_errors: 0, rx_dropped: 0, tx_bytes: 0, tx_packets: 0, tx_errors: 0, tx_dropped: 0 },
  },
};
const idle = {
  read: '0001-01-01T00:00:00Z', preread: '0001-01-01T00:00:00Z', name: '/idle', id: B, pids_stats: {}, blkio_stats: { io_service_bytes_recursive: null },
  num_procs: 0, storage_stats: {}, memory_stats: {},
  cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: throttling },
  precpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: throttling },
};
let listGone = false;

const fake = await fakeDaemon('berth-statscli-', ({ method, pathname, url, body }, send) => {
  const p = pathname.replace(/^\/v1\.47/, '');
  if (method === 'GET' && p === '/containers/json') {
    const all = new URL(url, 'http://x').searchParams.get('all') === '1';
    return send(200, [{ Id: A, Names: ['/web'] }, ...(all ? [{ Id: B, Names: ['/idle'] }] : []), ...(listGone ? [{ Id: 'c'.repeat(64), Names: ['/gone'] }] : [])]);
  }
  if (method === 'GET' && (p === '/containers/web/stats' || p === `/containers/${A.slice(0, 12)}/stats`)) return send(200, sample);
  if (method === 'GET' && p === `/containers/${B.slice(0, 12)}/stats`) return send(200, idle);
  if (method === 'POST' && p.endsWith('/update')) {
    const name = p.split('/')[2];
    if (name === 'nope') return send(404, { message: 'No such container: nope' });
    const b = JSON.parse(body) as { Memory: number };
    return send(200, { Warnings: b.Memory === 4_194_304 ? ['Your kernel does not support swap limit capabilities'] : null });
  }
  const id = p.split('/')[2];
  return send(404, { message: `No such container: ${id}` });
});
after(() => fake.close());
const berth = (args: string[]) => runCli(fake.sock, args);

test('stats --no-stream: docker\'s table and figures', async () => {
  const r = await berth(['stats', '--no-stream']);
  assert.deepEqual([r.status, r.stderr], [0, '']);
  assert.equal(r.stdout,
    'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O       BLOCK I/O        PIDS\n' +
    'aaaaaaaaaaaa   web       50.00%    8MiB / 64MiB        12.50%    2kB / 2.5MB   1.24MB / 8.9kB   3\n');
  const all = await berth(['container', 'stats', '--no-stream', '-a', '--no-trunc']);
  assert.equal(all.stdout,
    'CONTAINER ID                                                       NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O       BLOCK I/O        PIDS\n' +
    `${A}   web       50.00%    8MiB / 64MiB        12.50%    2kB / 2.5MB   1.24MB / 8.9kB   3\n` +
    `${B}   idle      0.00%     0B / 0B             0.00%     0B / 0B       0B / 0B          0\n`);
});

test('stats --format: json, templates, table templates', async () => {
  assert.equal((await berth(['stats', '--no-stream', '--format', 'json', 'web'])).stdout,
    '{"BlockIO":"1.24MB / 8.9kB","CPUPerc":"50.00%","Container":"web","ID":"aaaaaaaaaaaa","MemPerc":"12.50%","MemUsage":"8MiB / 64MiB","Name":"web","NetIO":"2kB / 2.5MB","PIDs":"3"}\n');
  assert.equal((await berth(['stats', '--no-stream', '-a', '--format', '{{.Name}}'])).stdout, 'web\nidle\n');
  assert.equal((await berth(['stats', '--no-stream', '--format', 'table {{.Container}}\t{{.MemPerc}}', 'web'])).stdout, 'CONTAINER   MEM %\nweb         12.50%\n');
});

test('stats: a named container that does not answer is an error; a listed one shows "--"', async () => {
  const r = await berth(['stats', '--no-stream', '--format', '{{.Container}}: {{.CPUPerc}}', 'web', 'nope']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /No such container: nope/);
  listGone = true;
  try {
    const l = await berth(['stats', '--no-stream']);
    assert.equal(l.status, 0);
    assert.match(l.stdout, /\n {15}--\s+--\s+-- \/ --\s+--\s+--\s+--\s+--\n$/);
  } finally {
    listGone = false;
  }
});

test('figures: cpu without a previous sample, cgroup v1 cache, invalid entries', () => {
  assert.equal(cpuPercent(undefined, { cpu_usage: { total_usage: 5, percpu_usage: [1, 2], usage_in_kernelmode: 0, usage_in_usermode: 0 } }), 0);
  assert.equal(cpuPercent({ cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: 0 },
    { cpu_usage: { total_usage: 1e9, percpu_usage: [1, 2], usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: 4e9 }), 50, 'percpu count when online_cpus is missing');
  assert.equal(memUsageNoCache({ usage: 100, stats: { total_inactive_file: 30, inactive_file: 10 } }), 70);
  assert.equal(memUsageNoCache({ usage: 100, stats: { inactive_file: 200 } }), 100);
  const ctx = statsContext({ ...entryFromSample('x', {}), invalid: true }, true);
  assert.deepEqual(ctx, { Container: 'x', ID: '', Name: '--', CPUPerc: '--', MemUsage: '-- / --', MemPerc: '--', NetIO: '--', BlockIO: '--', PIDs: '--' });
});

test('update: docker\'s body, names printed, warnings, errors', async () => {
  const r = await berth(['update', '-m', '64m', '--memory-swap', '-1', '--cpus', '0.5', '--pids-limit', '10', '--restart', 'on-failure:3', 'web']);
  assert.deepEqual([r.status, r.stdout, r.stderr], [0, 'web\n', '']);
  const sent = [...fake.seen].reverse().find((s) => s.url.endsWith('/containers/web/update'))!;
  assert.equal(sent.body, JSON.stringify({
    CpuShares: 0, Memory: 67108864, NanoCpus: 500000000, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: null, BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: null, DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0,
    MemorySwap: -1, MemorySwappiness: null, OomKillDisable: null, PidsLimit: 10, Ulimits: null, CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0,
    IOMaximumBandwidth: 0, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
  }));
  const two = await berth(['container', 'update', '-c', '100', '--cpuset-cpus', '0', 'web', 'nope']);
  assert.equal(two.status, 1);
  assert.equal(two.stdout, 'web\n');
  assert.match(two.stderr, /No such container: nope/);
  const body = JSON.parse([...fake.seen].reverse().find((s) => s.url.endsWith('/containers/web/update'))!.body) as Record<string, unknown>;
  assert.deepEqual([body.CpuShares, body.CpusetCpus, 'PidsLimit' in body, body.RestartPolicy], [100, '0', false, { Name: '', MaximumRetryCount: 0 }]);
  const warn = await berth(['update', '-m', '4m', 'web']);
  assert.equal(warn.stdout, 'web\nYour kernel does not support swap limit capabilities\n');
  const none = await berth(['update', 'web']);
  assert.deepEqual([none.status, none.stderr.trim()], [1, 'you must provide one or more flags when using this command']);
  const bad = await berth(['update', '-m', 'lots', 'web']);
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'/);
  const policy = await berth(['update', '--restart', 'sometimes', 'web']);
  assert.deepEqual([policy.status, policy.stderr.trim()], [1, 'invalid restart policy format: sometimes']);
});
