import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostInfoFrom } from './host.js';

test('hostInfoFrom v1: features by the files Docker looks for', () => {
  const files = new Set(['memory', 'memory/memory.memsw.limit_in_bytes', 'memory/memory.oom_control', 'cpu/cpu.shares', 'cpuset', 'pids']);
  const info = hostInfoFrom(1, { cpus: 2, has: (f) => files.has(f), controllers: [], onlineCpus: '0-1', onlineMems: '0' });
  assert.deepEqual(info, {
    cpus: 2, onlineCpus: '0-1', onlineMems: '0', memoryLimit: true, swapLimit: true, memoryReservation: false,
    memorySwappiness: false, oomKillDisable: true, pidsLimit: true, cpuShares: true, cpuCfs: false, cpuset: true, blkioWeight: false,
  });
});

test('hostInfoFrom v2: features by enabled controllers; swappiness and OOM-kill disabling do not exist', () => {
  const info = hostInfoFrom(2, { cpus: 8, has: () => true, controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'], onlineCpus: '0-7', onlineMems: '0' });
  assert.deepEqual(info, {
    cpus: 8, onlineCpus: '0-7', onlineMems: '0', memoryLimit: true, swapLimit: true, memoryReservation: true,
    memorySwappiness: false, oomKillDisable: false, pidsLimit: true, cpuShares: true, cpuCfs: true, cpuset: true, blkioWeight: true,
  });
  const bare = hostInfoFrom(2, { cpus: 1, has: () => true, controllers: ['memory'], onlineCpus: '', onlineMems: '' });
  assert.equal(bare.pidsLimit, false);
  assert.equal(bare.cpuCfs, false);
});
