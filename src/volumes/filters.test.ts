import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../core/errors.js';
import { filterVolumes, pruneFilters, pruneMatches } from './filters.js';
import { ANONYMOUS_LABEL, type VolumeRecord } from './record.js';

const rec = (name: string, labels: Record<string, string> | null = null): VolumeRecord => ({ name, driver: 'local', createdAt: '2024-01-01T00:00:00.000Z', labels, options: null });
const vols = [rec('web-data', { app: 'web', tier: 'front' }), rec('db-data', { app: 'db' }), rec('cache'), rec('a1b2', { [ANONYMOUS_LABEL]: '' })];
const used = new Set(['db-data']);
const names = (f: Record<string, string[]>) => filterVolumes(vols, f, { inUse: (n) => used.has(n) }).map((v) => v.name);
const invalid = (message: string) => (e: unknown) => e instanceof BerthError && e.kind === 'InvalidArgument' && e.message === message;

test('list filters: name (regexp), driver, label, dangling', () => {
  assert.deepEqual(names({}), ['web-data', 'db-data', 'cache', 'a1b2']);
  assert.deepEqual(names({ name: ['data'] }), ['web-data', 'db-data']);
  assert.deepEqual(names({ name: ['^db'] }), ['db-data']);
  assert.deepEqual(names({ name: ['cache', 'web'] }), ['web-data', 'cache']);
  assert.deepEqual(names({ driver: ['local'] }).length, 4);
  assert.deepEqual(names({ driver: ['nfs'] }), []);
  assert.deepEqual(names({ label: ['app'] }), ['web-data', 'db-data']);
  assert.deepEqual(names({ label: ['app=web'] }), ['web-data']);
  assert.deepEqual(names({ label: ['app', 'tier=front'] }), ['web-data']);
  assert.deepEqual(names({ label: ['app=nope'] }), []);
  assert.deepEqual(names({ dangling: ['true'] }), ['web-data', 'cache', 'a1b2']);
  assert.deepEqual(names({ dangling: ['0'] }), ['db-data']);
  assert.deepEqual(names({ dangling: ['FALSE'], label: ['app'] }), ['db-data']);
});

test('list filter errors', () => {
  assert.throws(() => names({ until: ['1h'] }), invalid(`invalid filter 'until'`));
  assert.throws(() => names({ dangling: ['maybe'] }), invalid(`invalid filter 'dangling=maybe'`));
  assert.throws(() => names({ dangling: ['true', 'false'] }), invalid(`invalid filter 'dangling=true,false'`));
});

test('prune filters: anonymous only unless all, label!', () => {
  const pick = (f: Record<string, string[]>) => {
    const p = pruneFilters(f);
    return vols.filter((v) => pruneMatches(v, p)).map((v) => v.name);
  };
  assert.deepEqual(pick({}), ['a1b2']);
  assert.deepEqual(pick({ all: ['false'] }), ['a1b2']);
  assert.deepEqual(pick({ all: ['true'] }), ['web-data', 'db-data', 'cache', 'a1b2']);
  assert.deepEqual(pick({ all: ['1'], label: ['app'] }), ['web-data', 'db-data']);
  assert.deepEqual(pick({ all: ['1'], 'label!': ['app=web'] }), ['db-data', 'cache', 'a1b2']);
  assert.throws(() => pick({ all: ['yes'] }), invalid(`invalid filter 'all': strconv.ParseBool: parsing "yes": invalid syntax`));
  assert.throws(() => pick({ all: ['1', '0'] }), invalid(`invalid filter 'all=[1 0]': only one value is expected`));
  assert.throws(() => pick({ dangling: ['true'] }), invalid(`invalid filter 'dangling'`));
});
