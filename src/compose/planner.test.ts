import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planUp, dependencyLevels, isNoop, type Observed } from './planner.js';
import { serviceHash } from './hash.js';
import { L } from './labels.js';
import type { Project, ServiceConfig } from './model.js';

function project(services: Record<string, Partial<ServiceConfig>>): Project {
  const s: Record<string, ServiceConfig> = {};
  for (const [name, v] of Object.entries(services)) s[name] = { name, image: 'busybox', networks: { default: null }, ...v } as ServiceConfig;
  return {
    name: 'p', workingDir: '/w', configFiles: ['/w/compose.yaml'], envFiles: [], services: s, disabled: {},
    networks: { default: { name: 'p_default' } }, volumes: { data: { name: 'p_data' } }, secrets: {}, configs: {}, environment: {},
  };
}

function container(p: Project, service: string, number: number, over: Partial<Observed> & { hash?: string; image?: string } = {}): Observed {
  const s = p.services[service];
  return {
    Id: `${service}${number}`,
    Names: [`/p-${service}-${number}`],
    State: 'running',
    Labels: { [L.project]: 'p', [L.service]: service, [L.number]: String(number), [L.oneoff]: 'False', [L.hash]: over.hash ?? (s ? serviceHash(s) : 'x'), [L.image]: over.image ?? 'sha256:img' },
    NetworkSettings: { Networks: { p_default: {} } },
    Mounts: [],
    ...over,
  };
}

const kinds = (plan: ReturnType<typeof planUp>, svc: string) => plan.services[svc]!.actions.map((a) => `${a.kind}:${a.number}`);

test('a new project: every container is created, dependencies first', () => {
  const p = project({ web: { depends_on: { db: { condition: 'service_healthy', required: true } } }, db: {}, cache: {}, worker: { depends_on: { web: { condition: 'service_started', required: true } } } });
  const plan = planUp(p, []);
  assert.deepEqual(plan.levels, [['cache', 'db'], ['web'], ['worker']]);
  for (const s of ['web', 'db', 'cache', 'worker']) assert.deepEqual(kinds(plan, s), ['create:1']);
  assert.equal(isNoop(plan), false);
});

test('unchanged running containers are kept: nothing to do', () => {
  const p = project({ web: {}, db: {} });
  const plan = planUp(p, [container(p, 'web', 1), container(p, 'db', 1)], { imageIds: { web: 'sha256:img', db: 'sha256:img' } });
  assert.deepEqual(kinds(plan, 'web'), ['keep:1']);
  assert.ok(isNoop(plan));
});

test('a changed config, a changed image, a missing network or volume recreate; a stopped container is started', () => {
  const p = project({ a: {}, b: {}, c: {}, d: { volumes: [{ type: 'volume', source: 'data', target: '/data' }] }, e: {} });
  const plan = planUp(p, [
    container(p, 'a', 1, { hash: 'old' }),
    container(p, 'b', 1, { image: 'sha256:old' }),
    container(p, 'c', 1, { NetworkSettings: { Networks: { bridge: {} } } }),
    container(p, 'd', 1, { Mounts: [] }),
    container(p, 'e', 1, { State: 'exited' }),
  ], { imageIds: { a: 'sha256:img', b: 'sha256:img', c: 'sha256:img', d: 'sha256:img', e: 'sha256:img' } });
  const reason = (s: string) => (plan.services[s]!.actions[0] as { reason?: string }).reason;
  assert.equal(reason('a'), 'config changed');
  assert.equal(reason('b'), 'image changed');
  assert.equal(reason('c'), 'not connected to network p_default');
  assert.equal(reason('d'), 'volume p_data is not mounted at /data');
  assert.deepEqual(kinds(plan, 'e'), ['start:1']);
});

test('--force-recreate and --no-recreate', () => {
  const p = project({ web: {} });
  assert.deepEqual(kinds(planUp(p, [container(p, 'web', 1)], { forceRecreate: true }), 'web'), ['recreate:1']);
  assert.deepEqual(kinds(planUp(p, [container(p, 'web', 1, { hash: 'old' })], { noRecreate: true }), 'web'), ['keep:1']);
});

test('scale up fills the free numbers, scale down removes the highest numbers', () => {
  const p = project({ web: { scale: 3 }, worker: { deploy: { replicas: 1 } } });
  const plan = planUp(p, [container(p, 'web', 2), container(p, 'worker', 1), container(p, 'worker', 2), container(p, 'worker', 3)]);
  assert.deepEqual(kinds(plan, 'web'), ['keep:2', 'create:1', 'create:3']);
  assert.deepEqual(kinds(plan, 'worker'), ['remove:2', 'remove:3', 'keep:1']);
  assert.deepEqual(kinds(planUp(p, [], { scale: { web: 1 } }), 'web'), ['create:1']);
});

test('orphans: containers of services the project no longer has; disabled and one-off ones are not orphans', () => {
  const p = project({ web: {} });
  p.disabled.debug = { name: 'debug', image: 'x' };
  const plan = planUp(p, [container(p, 'web', 1), container(p, 'old', 1), container(p, 'debug', 1), { ...container(p, 'web', 9), Labels: { ...container(p, 'web', 9).Labels, [L.oneoff]: 'True' } }]);
  assert.deepEqual(plan.orphans.map((c) => c.Id), ['old1']);
  assert.deepEqual(kinds(plan, 'web'), ['keep:1']);
});

test('named services bring their dependencies unless --no-deps; --no-deps causes no recreate', () => {
  const p = project({ web: { depends_on: { db: { condition: 'service_started', required: true } } }, db: {}, other: {} });
  assert.deepEqual(Object.keys(planUp(p, [], { services: ['web'] }).services).sort(), ['db', 'web']);
  const plan = planUp(p, [container(p, 'web', 1)], { services: ['web'], noDeps: true });
  assert.deepEqual(Object.keys(plan.services), ['web']);
  assert.deepEqual(kinds(plan, 'web'), ['keep:1']);
});

test('dependency levels count links, volumes_from and network_mode service:', () => {
  const p = project({ a: { links: ['b'] }, b: { volumes_from: ['c'] }, c: { network_mode: 'service:d', networks: undefined }, d: {} });
  assert.deepEqual(dependencyLevels(p, ['a', 'b', 'c', 'd']), [['d'], ['c'], ['b'], ['a']]);
});

test('config hash: ignores order, scale, replicas, depends_on, profiles, env_file and build; sees real changes', () => {
  const base: ServiceConfig = { name: 'web', image: 'busybox', environment: { A: '1', B: '2' }, command: ['sh'] };
  const h = serviceHash(base);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(serviceHash({ command: ['sh'], environment: { B: '2', A: '1' }, image: 'busybox', name: 'web' }), h);
  assert.equal(serviceHash({ ...base, scale: 3, depends_on: { db: { condition: 'service_started', required: true } }, profiles: ['x'] }), h);
  // v2 hashes a deploy section (even one with only replicas), without its replicas
  assert.equal(serviceHash({ ...base, deploy: { replicas: 2 } }), serviceHash({ ...base, deploy: { replicas: 5 } }));
  assert.equal(serviceHash({ ...base, env_file: [{ path: '/other/path.env', required: true }], build: { context: '/x' }, pull_policy: 'always' }), h);
  assert.notEqual(serviceHash({ ...base, environment: { A: '1', B: '3' } }), h);
  assert.notEqual(serviceHash({ ...base, command: ['sh', '-c', 'x'] }), h);
  assert.notEqual(serviceHash({ ...base, deploy: { replicas: 2, resources: { limits: { memory: '64m' } } } }), h);
});
