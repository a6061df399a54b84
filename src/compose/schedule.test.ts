import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInspect } from '../api/types.js';
import type { Project, ServiceConfig } from './model.js';
import { createDependenciesOf, criticalServices, nextProbeAt } from './schedule.js';

function project(services: Record<string, Partial<ServiceConfig>>): Project {
  const s: Record<string, ServiceConfig> = {};
  for (const [name, v] of Object.entries(services)) s[name] = { name, image: 'busybox', ...v } as ServiceConfig;
  return { name: 'p', workingDir: '/w', configFiles: [], envFiles: [], services: s, disabled: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, environment: {} };
}

const healthy = { condition: 'service_healthy', required: true } as const;
const started = { condition: 'service_started', required: true } as const;

test('the chains of dependencies: both ends of each dependency, whatever its condition; nothing else', () => {
  const p = project({
    base: {},
    db: { depends_on: { base: started } },
    migrate: { depends_on: { db: healthy } },
    app: { depends_on: { migrate: { condition: 'service_completed_successfully', required: true } } },
    web: { links: ['app'] },
    other: {},
    lone: {},
  });
  const all = Object.keys(p.services);
  assert.deepEqual([...criticalServices(p, all)].sort(), ['app', 'base', 'db', 'migrate', 'web']);
  // without dependencies, nothing goes first
  assert.equal(criticalServices(project({ a: {}, b: {} }), ['a', 'b']).size, 0);
  // a dependency outside the selection is not waited for
  assert.deepEqual([...criticalServices(p, ['web', 'other'])], []);
});

test('create waits only for the services a container names: links, volumes_from, service: modes', () => {
  const s = { name: 'x', image: 'i', links: ['db:database', 'cache'], volumes_from: ['data:ro', 'container:abc'], network_mode: 'service:vpn', ipc: 'service:shm', depends_on: { other: healthy } } as unknown as ServiceConfig;
  assert.deepEqual(createDependenciesOf(s).sort(), ['cache', 'data', 'db', 'shm', 'vpn']);
});

test('the next probe follows Docker: one interval after the start or the last probe, the start interval inside the start period', () => {
  const ms = 1e6;
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (hc: Record<string, number>, log: { End: string }[] = []) =>
    nextProbeAt({ Config: { Healthcheck: { Test: ['CMD', 'true'], ...hc } }, State: { StartedAt: new Date(t0).toISOString(), Health: { Status: 'starting', FailingStreak: 0, Log: log } } } as unknown as ContainerInspect) - t0;
  assert.equal(at({ Interval: 500 * ms }), 500);
  assert.equal(at({}), 30000);
  assert.equal(at({ Interval: 500 * ms }, [{ End: new Date(t0 + 620).toISOString() }]), 1120);
  assert.equal(at({ Interval: 10000 * ms, StartPeriod: 5000 * ms, StartInterval: 200 * ms }), 200);
  assert.equal(at({ Interval: 10000 * ms, StartPeriod: 5000 * ms }), 5000);
  // past the start period: the interval again
  assert.equal(at({ Interval: 10000 * ms, StartPeriod: 5000 * ms, StartInterval: 200 * ms }, [{ End: new Date(t0 + 5100).toISOString() }]), 15100);
});
