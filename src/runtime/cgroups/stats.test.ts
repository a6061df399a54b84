import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  V1_MEMORY_KEYS, V2_MEMORY_KEYS, ZERO_TIME, emptyStats, oomKillCount, parseBlkioV1, parseIoStatV2, parseLimit, parseProcStat,
  statsFromV1, statsFromV2, withPrevious, type SampleContext,
} from './stats.js';

const GiB = 1024 ** 3;
const CTX: SampleContext = { read: '2024-05-01T10:00:00.000Z', systemCpuUsage: 12345670000000, onlineCpus: 2, machineMemory: 24 * GiB };

/** Captured on a kernel 6.x cgroup v1 host from a node process holding 20 MiB (total_inactive_file raised to 8192). */
const V1_MEMORY_STAT = `cache 151552
rss 30547968
rss_huge 0
shmem 0
mapped_file 0
dirty 16384
writeback 0
workingset_refault_anon 0
workingset_refault_file 35
swap 0
swapcached 0
pgpgin 8162
pgpgout 667
pgfault 9169
pgmajfault 0
inactive_anon 30543872
active_anon 4096
inactive_file 0
active_file 151552
unevictable 0
hierarchical_memory_limit 9223372036854771712
hierarchical_memsw_limit 9223372036854771712
total_cache 151552
total_rss 30547968
total_rss_huge 0
total_shmem 0
total_mapped_file 0
total_dirty 16384
total_writeback 0
total_workingset_refault_anon 0
total_workingset_refault_file 35
total_swap 0
total_swapcached 0
total_pgpgin 8162
total_pgpgout 667
total_pgfault 9169
total_pgmajfault 0
total_inactive_anon 30543872
total_active_anon 4096
total_inactive_file 8192
total_active_file 151552
total_unevictable 0
`;

const V1_FILES = {
  'memory.usage_in_bytes': '31600640\n',
  'memory.max_usage_in_bytes': '32141312\n',
  'memory.limit_in_bytes': '9223372036854771712\n',
  'memory.failcnt': '0\n',
  'memory.stat': V1_MEMORY_STAT,
  'cpuacct.usage': '354818933\n',
  'cpuacct.usage_percpu': '98856578 255962355 \n',
  'cpuacct.stat': 'user 32\nsystem 3\n',
  'cpu.stat': 'nr_periods 40\nnr_throttled 3\nthrottled_time 5123456\nnr_bursts 0\nburst_time 0\n',
  'pids.current': '7\n',
  'pids.max': 'max\n',
  'blkio.throttle.io_service_bytes_recursive': '254:0 Read 3145728\n254:0 Write 1048576\n254:0 Sync 4194304\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 4194304\nTotal 4194304\n',
  'blkio.throttle.io_serviced_recursive': '254:0 Read 48\n254:0 Write 16\n254:0 Sync 64\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 64\nTotal 64\n',
};

const V2_MEMORY_STAT = `anon 22675456
file 4919296
kernel 1343488
kernel_stack 147456
pagetables 274432
sec_pagetables 0
percpu 960
sock 0
vmalloc 8192
shmem 0
zswap 0
zswapped 0
file_mapped 2297856
file_dirty 0
file_writeback 0
swapcached 0
anon_thp 0
file_thp 0
shmem_thp 0
inactive_anon 22659072
active_anon 16384
inactive_file 4907008
active_file 12288
unevictable 0
slab_reclaimable 547320
slab_unreclaimable 335896
slab 883216
workingset_refault_anon 0
workingset_refault_file 0
workingset_activate_anon 0
workingset_activate_file 0
workingset_restore_anon 0
workingset_restore_file 0
workingset_nodereclaim 0
pgscan 0
pgsteal 0
pgscan_kswapd 0
pgscan_direct 0
pgsteal_kswapd 0
pgsteal_direct 0
pgfault 8514
pgmajfault 41
pgrefill 0
pgactivate 4
pgdeactivate 0
pglazyfree 0
pglazyfreed 0
thp_fault_alloc 0
thp_collapse_alloc 0
`;

const V2_FILES = {
  'memory.current': '29011968\n',
  'memory.max': '268435456\n',
  'memory.stat': V2_MEMORY_STAT,
  'memory.events': 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n',
  'cpu.stat': 'usage_usec 431062\nuser_usec 318202\nsystem_usec 112860\ncore_sched.force_idle_usec 0\nnr_periods 25\nnr_throttled 4\nthrottled_usec 80123\nnr_bursts 0\nburst_usec 0\n',
  'pids.current': '11\n',
  'pids.max': '100\n',
  'io.stat': '254:0 rbytes=5496832 wbytes=8192 rios=187 wios=2 dbytes=0 dios=0\n7:0 rbytes=1024 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n',
};

test('parsers: limits, blkio, io.stat, oom counts', () => {
  assert.equal(parseLimit('max\n'), null);
  assert.equal(parseLimit('1048576\n'), 1048576);
  assert.deepEqual(parseBlkioV1('8:16 Read 10\n8:16 12\nTotal 10\n'), [{ major: 8, minor: 16, op: 'Read', value: 10 }, { major: 8, minor: 16, op: '', value: 12 }]);
  assert.deepEqual(parseIoStatV2('8:0 rbytes=7 wbytes=9 rios=1\n'), [
    { major: 8, minor: 0, op: 'read', value: 7 }, { major: 8, minor: 0, op: 'write', value: 9 },
  ]);
  assert.equal(oomKillCount('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n'), 3);
  assert.equal(oomKillCount(V2_FILES['memory.events']), 1);
  assert.equal(oomKillCount('oom_kill_disable 0\nunder_oom 0\n'), 0); // kernels before 4.13
});

test('parseProcStat: Docker\'s system CPU time in ns and online CPU count', () => {
  const procStat = `cpu  155323 0 44908 1000961 4017 0 8432 211 0 0
cpu0 75085 0 21629 504869 643 0 4770 100 0 0
cpu1 80238 0 23278 496091 3374 0 3662 111 0 0
intr 123 0 0
ctxt 9999
`;
  // first seven fields: user nice system idle iowait irq softirq (steal not counted), USER_HZ=100
  assert.deepEqual(parseProcStat(procStat), { systemCpuUsage: (155323 + 44908 + 1000961 + 4017 + 8432) * 1e7, onlineCpus: 2 });
  assert.throws(() => parseProcStat('cpu  1 2 3\n'), /invalid number of cpu fields/);
});

test('statsFromV1: Docker\'s statsV1 fields from real v1 files', () => {
  const s = statsFromV1(V1_FILES, CTX);
  assert.equal(s.read, CTX.read);
  assert.equal(s.preread, ZERO_TIME);
  assert.deepEqual(s.cpu_stats, {
    cpu_usage: { total_usage: 354818933, percpu_usage: [98856578, 255962355], usage_in_kernelmode: 3e7, usage_in_usermode: 3.2e8 },
    throttling_data: { periods: 40, throttled_periods: 3, throttled_time: 5123456 },
    system_cpu_usage: CTX.systemCpuUsage,
    online_cpus: 2,
  });
  const m = s.memory_stats;
  assert.equal(m.usage, 31600640);
  assert.equal(m.max_usage, 32141312);
  assert.equal(m.failcnt, undefined, 'omitted when 0');
  assert.equal(m.limit, 24 * GiB, 'no limit: the host\'s memory');
  assert.deepEqual(Object.keys(m.stats ?? {}), [...V1_MEMORY_KEYS]);
  assert.equal(m.stats?.total_inactive_file, 8192);
  assert.equal(m.stats?.rss, 30547968);
  assert.equal(m.stats?.swap, undefined, 'only the keys Docker reports');
  assert.deepEqual(s.pids_stats, { current: 7 });
  assert.deepEqual(s.blkio_stats.io_service_bytes_recursive?.slice(0, 2), [
    { major: 254, minor: 0, op: 'Read', value: 3145728 }, { major: 254, minor: 0, op: 'Write', value: 1048576 },
  ]);
  assert.equal(s.blkio_stats.io_service_bytes_recursive?.length, 6);
  assert.equal(s.blkio_stats.io_serviced_recursive?.[0]?.value, 48);
  assert.deepEqual(s.blkio_stats.sectors_recursive, [], 'v1: empty lists, not null');
  // docker stats' MEM USAGE: usage - total_inactive_file
  assert.equal((m.usage ?? 0) - (m.stats?.total_inactive_file ?? 0), 31592448);
});

test('statsFromV1: a limit, failures and CFQ blkio files', () => {
  const s = statsFromV1({
    ...V1_FILES, 'memory.limit_in_bytes': '104857600\n', 'memory.failcnt': '17\n', 'pids.max': '50\n',
    'blkio.io_serviced_recursive': '8:0 Read 2\n8:0 Write 0\nTotal 2\n', 'blkio.io_service_bytes_recursive': '8:0 Read 8192\n8:0 Write 0\nTotal 8192\n',
    'blkio.time_recursive': '8:0 1234\n',
  }, CTX);
  assert.equal(s.memory_stats.limit, 104857600);
  assert.equal(s.memory_stats.failcnt, 17);
  assert.deepEqual(s.pids_stats, { current: 7, limit: 50 });
  assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [{ major: 8, minor: 0, op: 'Read', value: 8192 }, { major: 8, minor: 0, op: 'Write', value: 0 }]);
  assert.deepEqual(s.blkio_stats.io_time_recursive, [{ major: 8, minor: 0, op: '', value: 1234 }]);
});

test('statsFromV2: Docker\'s statsV2 fields', () => {
  const s = statsFromV2(V2_FILES, CTX);
  assert.deepEqual(s.cpu_stats.cpu_usage, { total_usage: 431062000, usage_in_kernelmode: 112860000, usage_in_usermode: 318202000 });
  assert.equal(s.cpu_stats.cpu_usage.percpu_usage, undefined);
  assert.deepEqual(s.cpu_stats.throttling_data, { periods: 25, throttled_periods: 4, throttled_time: 80123000 });
  const m = s.memory_stats;
  assert.equal(m.usage, 29011968);
  assert.equal(m.max_usage, undefined);
  assert.equal(m.limit, 268435456);
  assert.equal(m.failcnt, 2, 'the "oom" count of memory.events');
  assert.deepEqual(Object.keys(m.stats ?? {}), [...V2_MEMORY_KEYS]);
  assert.equal(m.stats?.anon, 22675456);
  assert.equal(m.stats?.inactive_file, 4907008);
  assert.equal(m.stats?.workingset_refault, 0, 'split into _anon/_file by newer kernels: Docker reports 0');
  assert.deepEqual(s.pids_stats, { current: 11, limit: 100 });
  assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
    { major: 254, minor: 0, op: 'read', value: 5496832 }, { major: 254, minor: 0, op: 'write', value: 8192 },
    { major: 7, minor: 0, op: 'read', value: 1024 }, { major: 7, minor: 0, op: 'write', value: 0 },
  ]);
  assert.equal(s.blkio_stats.io_serviced_recursive, null, 'v2: only io_service_bytes_recursive');
  const unlimited = statsFromV2({ ...V2_FILES, 'memory.max': 'max\n', 'pids.max': 'max\n', 'io.stat': '' }, CTX);
  assert.equal(unlimited.memory_stats.limit, 24 * GiB);
  assert.deepEqual(unlimited.pids_stats, { current: 11 });
  assert.equal(unlimited.blkio_stats.io_service_bytes_recursive, null);
});

test('emptyStats and withPrevious: the JSON shape Docker streams', () => {
  const e = emptyStats();
  assert.deepEqual(JSON.parse(JSON.stringify(e)), {
    read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, num_procs: 0, storage_stats: {}, memory_stats: {},
    blkio_stats: {
      io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
      io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    precpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
  });
  const first = statsFromV2(V2_FILES, CTX);
  const second = statsFromV2({ ...V2_FILES, 'cpu.stat': 'usage_usec 931062\nuser_usec 518202\nsystem_usec 412860\n' }, {
    ...CTX, read: '2024-05-01T10:00:01.000Z', systemCpuUsage: CTX.systemCpuUsage + 2e9,
  });
  const s = withPrevious(second, first);
  assert.equal(s.preread, first.read);
  assert.deepEqual(s.precpu_stats, first.cpu_stats);
  // docker stats' CPU %: 0.5 s of CPU in 2 s of host CPU time on 2 CPUs = 50%
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  assert.equal((cpuDelta / sysDelta) * (s.cpu_stats.online_cpus ?? 0) * 100, 50);
  assert.equal(withPrevious(first, undefined).preread, ZERO_TIME);
});
