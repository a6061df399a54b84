import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeFiles, mergeService } from './merge.js';

test('scalars are replaced, mappings merged, command replaced', () => {
  const out = mergeService(
    { image: 'a', command: ['x', 'y'], healthcheck: { test: ['CMD', 'a'], interval: '1s' }, deploy: { resources: { limits: { memory: '1g' } } } },
    { image: 'b', command: ['z'], healthcheck: { test: ['CMD', 'b'] }, deploy: { resources: { limits: { cpus: '1' } } } },
  );
  assert.deepEqual(out, { image: 'b', command: ['z'], healthcheck: { test: ['CMD', 'b'], interval: '1s' }, deploy: { resources: { limits: { memory: '1g', cpus: '1' } } } });
});

test('environment and labels merge whatever their syntax', () => {
  const out = mergeService({ environment: ['A=1', 'B=2'], labels: { x: '1' } }, { environment: { B: '3', C: '4' }, labels: ['y=2'] });
  assert.deepEqual(out.environment, { A: '1', B: '3', C: '4' });
  assert.deepEqual(out.labels, { x: '1', y: '2' });
});

test('volumes merge by target, ports append without duplicates, lists append unique', () => {
  const out = mergeService(
    { volumes: ['a:/data', '/host:/conf:ro'], ports: ['80:80'], dns: ['1.1.1.1'] },
    { volumes: [{ type: 'volume', source: 'b', target: '/data' }, 'c:/extra'], ports: ['80:80', '443:443'], dns: ['1.1.1.1', '8.8.8.8'] },
  );
  assert.deepEqual(out.volumes, [{ type: 'volume', source: 'b', target: '/data' }, '/host:/conf:ro', 'c:/extra']);
  assert.deepEqual(out.ports, ['80:80', '443:443']);
  assert.deepEqual(out.dns, ['1.1.1.1', '8.8.8.8']);
});

test('depends_on and networks merge as maps from either form', () => {
  const out = mergeService({ depends_on: ['db'], networks: ['front'] }, { depends_on: { cache: { condition: 'service_healthy' } }, networks: { back: { aliases: ['x'] } } });
  assert.deepEqual(out.depends_on, { db: null, cache: { condition: 'service_healthy' } });
  assert.deepEqual(out.networks, { front: null, back: { aliases: ['x'] } });
});

test('files: services merged by name, new services added, top-level resources merged', () => {
  const out = mergeFiles(
    { name: 'p', services: { web: { image: 'a', environment: { A: '1' } } }, volumes: { data: { driver: 'local' } } },
    { services: { web: { environment: { B: '2' } }, db: { image: 'd' } }, volumes: { data: { labels: { k: 'v' } }, more: null } },
  );
  assert.deepEqual(out, {
    name: 'p',
    services: { web: { image: 'a', environment: { A: '1', B: '2' } }, db: { image: 'd' } },
    volumes: { data: { driver: 'local', labels: { k: 'v' } }, more: null },
  });
});
