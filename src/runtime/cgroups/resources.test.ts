import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { adaptResources, mergeUpdate, nanoCpusQuota, ociResources, updateArgs } from './resources.js';
import { cgroupWrites, sharesToWeight, swapToV2 } from './apply.js';

const MB = 1024 * 1024;

test('adaptResources: Docker\'s create-time defaults', () => {
  assert.deepEqual(adaptResources({ Memory: 64 * MB }), { Memory: 64 * MB, MemorySwap: 128 * MB, OomKillDisable: false });
  assert.deepEqual(adaptResources({ Memory: 64 * MB, MemorySwap: -1, OomKillDisable: true }), { Memory: 64 * MB, MemorySwap: -1, OomKillDisable: true });
  assert.equal(adaptResources({ PidsLimit: 0 }).PidsLimit, null);
  assert.equal(adaptResources({ PidsLimit: -1 }).PidsLimit, null);
  assert.equal(adaptResources({ PidsLimit: 50 }).PidsLimit, 50);
  assert.deepEqual(adaptResources({}), { OomKillDisable: false });
});

test('ociResources maps HostConfig resources like Docker', () => {
  assert.deepEqual(ociResources({}), {});
  assert.deepEqual(ociResources({
    Memory: 64 * MB, MemorySwap: 128 * MB, MemoryReservation: 32 * MB, MemorySwappiness: 0, OomKillDisable: false,
    NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0-1', CpusetMems: '0', PidsLimit: 100, BlkioWeight: 300,
  }), {
    memory: { limit: 64 * MB, reservation: 32 * MB, swap: 128 * MB, swappiness: 0, disableOOMKiller: false },
    cpu: { shares: 512, cpus: '0-1', mems: '0', period: 100000, quota: 150000 },
    pids: { limit: 100 },
    blockIO: { weight: 300 },
  });
  // -1 swap is "unlimited": nothing to set on a new cgroup; null swappiness is unset
  assert.deepEqual(ociResources({ Memory: 64 * MB, MemorySwap: -1, MemorySwappiness: null }), { memory: { limit: 64 * MB } });
  assert.deepEqual(ociResources({ PidsLimit: 0 }), { pids: { limit: -1 } });
  assert.deepEqual(ociResources({ PidsLimit: null }), {});
  assert.deepEqual(ociResources({ CpuPeriod: 50000, CpuQuota: -1 }), { cpu: { period: 50000, quota: -1 } });
  // Go's integer division truncates: 0.333333333 CPUs → 33333 µs
  assert.equal(nanoCpusQuota(333333333), 33333);
  assert.deepEqual(ociResources({ NanoCpus: 10000000 }).cpu, { period: 100000, quota: 1000 });
  assert.throws(() => ociResources({ CpuShares: -2 }), (e) => isKind(e, 'InvalidArgument') && (e as Error).message === 'shares: invalid argument');
});

function conflicts(current: object, update: object, message: string) {
  assert.throws(() => mergeUpdate(current, update), (e) => {
    assert.ok(isKind(e, 'Conflict'));
    assert.equal((e as Error).message, message);
    return true;
  });
}

test('mergeUpdate: Docker\'s UpdateContainer rules', () => {
  conflicts({ CpuPeriod: 100000 }, { NanoCpus: 1e9 }, 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  conflicts({ CpuQuota: 50000 }, { NanoCpus: 1e9 }, 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  conflicts({ NanoCpus: 1e9 }, { CpuPeriod: 100000 }, 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  conflicts({ NanoCpus: 1e9 }, { CpuQuota: 50000 }, 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  const swapMsg = 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time';
  conflicts({ Memory: 64 * MB, MemorySwap: 128 * MB }, { Memory: 256 * MB }, swapMsg);
  conflicts({}, { Memory: 64 * MB }, swapMsg); // never limited: MemorySwap 0
  conflicts({ Memory: 64 * MB, MemorySwap: -1 }, { Memory: 32 * MB }, swapMsg); // Docker compares with -1 as is

  assert.deepEqual(mergeUpdate({ Memory: 64 * MB, MemorySwap: 128 * MB }, { Memory: 100 * MB }), { Memory: 100 * MB, MemorySwap: 128 * MB });
  assert.deepEqual(mergeUpdate({}, { Memory: 256 * MB, MemorySwap: 512 * MB }), { Memory: 256 * MB, MemorySwap: 512 * MB });
  assert.deepEqual(
    mergeUpdate({ CpuShares: 1024, NanoCpus: 1e9, CpusetCpus: '0', PidsLimit: 10, BlkioWeight: 500 }, { CpuShares: 512, NanoCpus: 5e8, CpusetCpus: '' }),
    { CpuShares: 512, NanoCpus: 5e8, CpusetCpus: '0', PidsLimit: 10, BlkioWeight: 500 },
  );
  assert.equal(mergeUpdate({ PidsLimit: 10 }, { PidsLimit: -1 }).PidsLimit, 0);
  assert.equal(mergeUpdate({ PidsLimit: 10 }, { PidsLimit: null }).PidsLimit, 10);
  assert.equal(mergeUpdate({ PidsLimit: 10 }, { PidsLimit: 20 }).PidsLimit, 20);
});

test('updateArgs: runc update flags for the fields of the body', () => {
  assert.deepEqual(updateArgs({}), []);
  assert.deepEqual(updateArgs({ Memory: 256 * MB, MemorySwap: 512 * MB, MemoryReservation: 128 * MB }), [
    `--memory=${256 * MB}`, `--memory-swap=${512 * MB}`, `--memory-reservation=${128 * MB}`,
  ]);
  assert.deepEqual(updateArgs({ NanoCpus: 1.5e9, CpuShares: 512 }), ['--cpu-share=512', '--cpu-period=100000', '--cpu-quota=150000']);
  assert.deepEqual(updateArgs({ CpuPeriod: 50000, CpuQuota: -1 }), ['--cpu-period=50000', '--cpu-quota=-1']);
  assert.deepEqual(updateArgs({ CpusetCpus: '0', CpusetMems: '0', BlkioWeight: 300 }), ['--blkio-weight=300', '--cpuset-cpus=0', '--cpuset-mems=0']);
  assert.deepEqual(updateArgs({ PidsLimit: 64 }), ['--pids-limit=64']);
  assert.deepEqual(updateArgs({ PidsLimit: 0 }), ['--pids-limit=-1']);
  assert.deepEqual(updateArgs({ PidsLimit: null }), []);
  assert.deepEqual(updateArgs({ Memory: 64 * MB, MemorySwap: -1 }), [`--memory=${64 * MB}`, '--memory-swap=-1']);
});

test('cgroupWrites v1: memory and swap in an order the kernel accepts', () => {
  // lowering under an unlimited limit: memory first, then memory+swap
  assert.deepEqual(cgroupWrites(1, { Memory: 64 * MB, MemorySwap: 64 * MB }), [
    { file: 'memory.limit_in_bytes', value: String(64 * MB) }, { file: 'memory.memsw.limit_in_bytes', value: String(64 * MB) },
  ]);
  // raising past the current limit: memory+swap first
  assert.deepEqual(cgroupWrites(1, { Memory: 256 * MB, MemorySwap: 512 * MB }, { currentMemoryLimit: 64 * MB }).map((w) => w.file), [
    'memory.memsw.limit_in_bytes', 'memory.limit_in_bytes',
  ]);
  assert.deepEqual(cgroupWrites(1, { Memory: -1 }).map((w) => `${w.file}=${w.value}`), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
  assert.deepEqual(cgroupWrites(1, { Memory: 64 * MB, MemorySwap: 128 * MB }, { swapAccounting: false }).map((w) => w.file), ['memory.limit_in_bytes']);
  assert.deepEqual(cgroupWrites(1, { NanoCpus: 5e8, CpuShares: 256, PidsLimit: 0, OomKillDisable: true, MemorySwappiness: 0 }), [
    { file: 'memory.swappiness', value: '0' }, { file: 'memory.oom_control', value: '1' }, { file: 'cpu.shares', value: '256' },
    { file: 'cpu.cfs_period_us', value: '100000' }, { file: 'cpu.cfs_quota_us', value: '50000' }, { file: 'pids.max', value: 'max' },
  ]);
});

test('cgroupWrites v2: runc\'s conversions', () => {
  assert.deepEqual(cgroupWrites(2, { Memory: 64 * MB, MemorySwap: 128 * MB, MemoryReservation: 32 * MB, PidsLimit: 5 }), [
    { file: 'memory.max', value: String(64 * MB) }, { file: 'memory.swap.max', value: String(64 * MB) },
    { file: 'memory.low', value: String(32 * MB) }, { file: 'pids.max', value: '5' },
  ]);
  assert.deepEqual(cgroupWrites(2, { Memory: 64 * MB, MemorySwap: 64 * MB }).map((w) => `${w.file}=${w.value}`), [`memory.max=${64 * MB}`]);
  assert.deepEqual(cgroupWrites(2, { Memory: 64 * MB, MemorySwap: -1 }).map((w) => `${w.file}=${w.value}`), [`memory.max=${64 * MB}`, 'memory.swap.max=max']);
  assert.deepEqual(cgroupWrites(2, { NanoCpus: 2.5e9, CpuShares: 1024 }), [
    { file: 'cpu.weight', value: '39' }, { file: 'cpu.max', value: '250000 100000' },
  ]);
  assert.deepEqual(cgroupWrites(2, { CpuQuota: -1 }), [{ file: 'cpu.max', value: 'max' }]);
  assert.deepEqual(cgroupWrites(2, { BlkioWeight: 500 }), [{ file: 'io.weight', value: 'default 4950' }]);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(swapToV2(0, -1), -1);
  assert.throws(() => swapToV2(64 * MB, 0), { message: 'unable to set swap limit without memory limit' });
  assert.throws(() => swapToV2(32 * MB, 64 * MB), { message: 'memory+swap limit should be >= memory limit' });
});
