import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { classify, coverageMarkdown, specOperations } from './coverage.js';
import { routeTable } from './table.js';

const YAML = `swagger: "2.0"
paths:
  /containers/json:
    get:
      summary: "List containers"
      operationId: "ContainerList"
      tags: ["Container"]
  /swarm/leave:
    post:
      summary: "Leave a swarm"
      tags:
        - "Swarm"
  /build:
    post:
      summary: "Build an image"
  /_ping:
    get:
      summary: "Ping"
    head:
      summary: "Ping"
definitions:
  Foo:
    type: object
`;

test('the operations of the API description are read with their summaries', () => {
  assert.deepEqual(specOperations(YAML), [
    { method: 'GET', path: '/containers/json', summary: 'List containers', tag: '' },
    { method: 'POST', path: '/swarm/leave', summary: 'Leave a swarm', tag: 'Swarm' },
    { method: 'POST', path: '/build', summary: 'Build an image', tag: '' },
    { method: 'GET', path: '/_ping', summary: 'Ping', tag: '' },
    { method: 'HEAD', path: '/_ping', summary: 'Ping', tag: '' },
  ]);
});

test('each operation is served, served as Docker without a swarm, or missing with its reason', () => {
  const table = routeTable();
  const [list, leave, build, , headPing] = specOperations(YAML);
  assert.equal(classify(list, table).coverage, 'served');
  assert.deepEqual(classify(leave, table), { coverage: 'as Docker without a swarm', note: '503 `This node is not part of a swarm`' });
  assert.deepEqual(classify(build, table), { coverage: 'served', note: '' });
  assert.match(classify({ method: 'POST', path: '/session', summary: '', tag: '' }, table).note, /BuildKit sessions/);
  assert.equal(classify(headPing, table).coverage, 'served');
  assert.equal(classify({ method: 'GET', path: '/plugins/{name}/json', summary: '', tag: '' }, table).coverage, 'as Docker with no plugins');
  assert.match(coverageMarkdown(specOperations(YAML), [], 'x.yaml'), /- missing: 5/);
});

test('docs/api-coverage.md is what scripts/api-coverage.mjs makes from the v1.47 description', (t) => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../..');
  const spec = ['../shared/spec/docker-engine-api-v1.47.yaml', '/work/shared/spec/docker-engine-api-v1.47.yaml'].map((p) => path.resolve(root, p)).find((p) => existsSync(p));
  if (!spec) {
    t.skip('the Engine API description is not on this machine');
    return;
  }
  const want = coverageMarkdown(specOperations(readFileSync(spec, 'utf8')), routeTable(), path.basename(spec));
  assert.equal(readFileSync(path.join(root, 'docs/api-coverage.md'), 'utf8'), want, 'run node scripts/api-coverage.mjs');
});
