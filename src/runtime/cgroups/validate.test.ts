import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { checkResources, isCpusetListAvailable, parseCpuList, validateResources } from './validate.js';
import type { HostInfo, Resources } from './types.js';

const HOST: HostInfo = { cpus: 2, onlineCpus: '0-1', onlineMems: '0' };
const MB = 1024 * 1024;

function rejects(res: Resources, message: string, host: HostInfo = HOST, update = false) {
  assert.throws(() => validateResources(res, host, { update }), (e) => {
    assert.ok(isKind(e, 'InvalidArgument'), `kind of ${String(e)}`);
    assert.equal((e as Error).message, message);
    return true;
  }, JSON.stringify(res));
}

test('parseCpuList: Docker parseUintList forms and errors', () => {
  assert.deepEqual([...parseCpuList('0-2,5')], [0, 1, 2, 5]);
  assert.deepEqual([...parseCpuList('03,1-3')].sort(), [1, 2, 3]);
  assert.deepEqual([...parseCpuList('0-0,0,1-7')].length, 8);
  assert.equal(parseCpuList('').size, 0);
  for (const bad of ['a', '1-', '-1', '3-1', '1,,2', '1-2-3']) assert.throws(() => parseCpuList(bad), { message: `invalid format: ${bad}` });
  assert.throws(() => parseCpuList('8193', 8192), { message: 'value of out range, maximum is 8192' });
  assert.throws(() => parseCpuList('0-9223372036854775807', 8192), { message: 'value of out range, maximum is 8192' });
  assert.throws(() => parseCpuList('0-9223372036854775808', 8192), { message: 'invalid format: 0-9223372036854775808' });
});

test('isCpusetListAvailable', () => {
  assert.equal(isCpusetListAvailable('', '0-1'), true);
  assert.equal(isCpusetListAvailable('0,1', '0-1'), true);
  assert.equal(isCpusetListAvailable('1-2', '0-1'), false);
  assert.equal(isCpusetListAvailable('0', ''), false);
});

test('valid resources pass without warnings', () => {
  const res: Resources = {
    Memory: 64 * MB, MemorySwap: 128 * MB, MemoryReservation: 32 * MB, MemorySwappiness: 60, NanoCpus: 1.5e9,
    CpuShares: 512, CpusetCpus: '0-1', CpusetMems: '0', PidsLimit: 100, BlkioWeight: 500, OomKillDisable: false,
    Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
  };
  assert.deepEqual(validateResources(res, HOST), []);
  assert.deepEqual(validateResources({ Memory: 6 * MB, MemorySwap: -1 }, HOST), []);
  assert.deepEqual(validateResources({ NanoCpus: 2e9 }, HOST), []);
});

test('memory rules, in Docker\'s words', () => {
  rejects({ Memory: 4 * MB }, 'Minimum memory limit allowed is 6MB');
  rejects({ Memory: 6 * MB - 1 }, 'Minimum memory limit allowed is 6MB');
  rejects({ Memory: 64 * MB, MemorySwap: 32 * MB }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
  rejects({ MemorySwap: 32 * MB }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
  assert.deepEqual(validateResources({ MemorySwap: 32 * MB }, HOST, { update: true }), []);
  rejects({ MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100');
  rejects({ MemorySwappiness: -2 }, 'Invalid value: -2, valid memory swappiness range is 0-100');
  assert.equal(checkResources({ MemorySwappiness: -1 }, HOST).resources.MemorySwappiness, null);
  rejects({ MemoryReservation: 1 * MB }, 'Minimum memory reservation allowed is 6MB');
  rejects({ Memory: 16 * MB, MemoryReservation: 32 * MB }, 'Minimum memory limit can not be less than memory reservation limit, see usage');
  assert.deepEqual(validateResources({ OomKillDisable: true }, HOST), [
    'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
  ]);
});

test('cpu rules, in Docker\'s words', () => {
  rejects({ NanoCpus: 5e8, CpuPeriod: 100000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  rejects({ NanoCpus: 5e8, CpuQuota: 50000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  rejects({ NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  rejects({ NanoCpus: -1 }, 'Range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available', { ...HOST, cpus: 4 });
  rejects({ CpuPeriod: 999 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  rejects({ CpuPeriod: 1000001 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  rejects({ CpuQuota: 999 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  assert.deepEqual(validateResources({ CpuQuota: -1, CpuPeriod: 1000 }, HOST), []);
  rejects({ CpuShares: -5 }, 'shares: invalid argument');
  rejects({ NanoCpus: 1e9 }, 'NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted', { ...HOST, cpuCfs: false });
});

test('cpuset rules, in Docker\'s words', () => {
  rejects({ CpusetCpus: '5' }, 'Requested CPUs are not available - requested 5, available: 0-1');
  rejects({ CpusetCpus: '0-2' }, 'Requested CPUs are not available - requested 0-2, available: 0-1');
  rejects({ CpusetCpus: '1-a' }, 'Invalid value 1-a for cpuset cpus: invalid format: 1-a');
  rejects({ CpusetCpus: '9000' }, 'Invalid value 9000 for cpuset cpus: value of out range, maximum is 8192');
  rejects({ CpusetMems: '1' }, 'Requested memory nodes are not available - requested 1, available: 0');
  rejects({ CpusetMems: 'x' }, 'Invalid value x for cpuset mems: invalid format: x');
});

test('blkio and ulimit rules', () => {
  rejects({ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000');
  rejects({ BlkioWeight: 1001 }, 'Range of blkio weight is from 10 to 1000');
  rejects({ Ulimits: [{ Name: 'nofiles', Soft: 1, Hard: 1 }] }, 'invalid ulimit type: nofiles');
  rejects({ Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1 }] }, 'ulimit soft limit must be less than or equal to hard limit: 1024 > 1');
  assert.deepEqual(validateResources({ Ulimits: [{ Name: 'NOFILE', Soft: 1, Hard: 1 }] }, HOST), []);
});

test('unsupported settings are discarded with Docker\'s warnings', () => {
  const bare: HostInfo = {
    ...HOST, swapLimit: false, memorySwappiness: false, oomKillDisable: false, pidsLimit: false, cpuShares: false,
    cpuCfs: false, cpuset: false, blkioWeight: false, memoryReservation: false,
  };
  const input: Resources = {
    Memory: 64 * MB, MemorySwap: 128 * MB, MemorySwappiness: 10, OomKillDisable: true, PidsLimit: 10, CpuShares: 512,
    CpuPeriod: 100000, CpuQuota: 50000, CpusetCpus: '7', BlkioWeight: 300, MemoryReservation: 32 * MB,
  };
  const { warnings, resources } = checkResources(input, bare);
  assert.deepEqual(warnings, [
    'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
    'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
    'Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.',
    'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
    'Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.',
    'Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.',
    'Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.',
    'Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.',
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
  ]);
  assert.deepEqual(resources, {
    Memory: 64 * MB, MemorySwap: -1, MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, CpuShares: 0,
    CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '', CpusetMems: '', BlkioWeight: 0, MemoryReservation: 0,
  });
  assert.equal(input.MemorySwap, 128 * MB, 'the input is not changed');
  const noMem = checkResources({ Memory: 64 * MB }, { ...HOST, memoryLimit: false });
  assert.deepEqual(noMem.warnings, ['Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.']);
  assert.equal(noMem.resources.Memory, 0);
  assert.equal(noMem.resources.MemorySwap, -1);
  // OomKillDisable=false on a host without it: dropped silently
  assert.deepEqual(checkResources({ OomKillDisable: false }, { ...HOST, oomKillDisable: false }).warnings, []);
});
