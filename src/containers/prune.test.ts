import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus } from '../api/types.js';
import type { ContainerRecord } from './record.js';
import { initialState } from './record.js';
import { pruneCandidates } from './prune.js';

const now = Date.parse('2024-06-01T12:00:00Z');
const rec = (id: string, status: ContainerStatus, created: string, labels?: Record<string, string>): ContainerRecord => ({
  id, name: `/${id}`, created, path: 'sh', args: [], config: { Image: 'busybox', ...(labels ? { Labels: labels } : {}) }, hostConfig: {},
  image: 'sha256:x', state: { ...initialState(), Status: status }, restartCount: 0, hasBeenStarted: true, manuallyStopped: false,
  logPath: '', hostnamePath: '', hostsPath: '', resolvConfPath: '', layers: [],
});

const all = [
  rec('created', 'created', '2024-06-01T11:59:00Z'),
  rec('exited', 'exited', '2024-06-01T10:00:00Z', { keep: 'yes', team: 'a' }),
  rec('dead', 'dead', '2024-05-01T00:00:00Z', { team: 'b' }),
  rec('running', 'running', '2024-05-01T00:00:00Z'),
  rec('paused', 'paused', '2024-05-01T00:00:00Z'),
  rec('restarting', 'restarting', '2024-05-01T00:00:00Z'),
  rec('removing', 'removing', '2024-05-01T00:00:00Z'),
];
const ids = (f: Record<string, string[]>) => pruneCandidates(all, f, now).map((r) => r.id);

test('only containers that are not running', () => {
  assert.deepEqual(ids({}), ['created', 'exited', 'dead']);
});

test('until: created at or before; durations, dates and timestamps; one value only', () => {
  assert.deepEqual(ids({ until: ['30m'] }), ['exited', 'dead']);
  assert.deepEqual(ids({ until: ['2024-05-15T00:00:00Z'] }), ['dead']);
  assert.deepEqual(ids({ until: [String(Date.parse('2024-06-01T10:00:00Z') / 1000)] }), ['exited', 'dead']);
  assert.throws(() => ids({ until: ['1h', '2h'] }), /more than one until filter specified/);
  assert.throws(() => ids({ until: ['soon'] }), /failed to parse value as time or duration/);
});

test('label and label!', () => {
  assert.deepEqual(ids({ label: ['team'] }), ['exited', 'dead']);
  assert.deepEqual(ids({ label: ['team=a'] }), ['exited']);
  assert.deepEqual(ids({ label: ['team', 'keep'] }), ['exited']);
  assert.deepEqual(ids({ 'label!': ['keep'] }), ['created', 'dead']);
  assert.deepEqual(ids({ 'label!': ['keep', 'team=b'] }), ['created', 'exited', 'dead'], 'label!: excluded only when all match');
  assert.deepEqual(ids({ label: ['team'], until: ['2024-05-15T00:00:00Z'] }), ['dead']);
});

test('other filter keys are Docker\'s 400', () => {
  assert.throws(() => ids({ status: ['exited'] }), (e: Error & { kind?: string }) => e.kind === 'InvalidArgument' && e.message === "invalid filter 'status'");
});
