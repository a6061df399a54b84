import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadValidator } from './validate.js';
import { loadProject, type LoadOptions } from './loader.js';
import { ComposeError } from './errors.js';

before(loadValidator);

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(tmpdir(), 'compose-load-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
    writeFileSync(path.join(d, f), text);
  }
  return d;
}

function load(d: string, o: Partial<LoadOptions> = {}) {
  return loadProject({ cwd: d, env: {}, ...o });
}

function loadError(d: string, o: Partial<LoadOptions> = {}): ComposeError {
  try {
    load(d, o);
  } catch (err) {
    assert.ok(err instanceof ComposeError, String(err));
    return err;
  }
  assert.fail('expected a ComposeError');
}

test('lookup: compose.yaml before docker-compose.yml, with its override file; name from the folder', (t) => {
  const d = dir({
    'My App/compose.yaml': 'services:\n  web:\n    image: a\n',
    'My App/compose.override.yaml': 'services:\n  web:\n    image: b\n',
    'My App/docker-compose.yml': 'services:\n  other:\n    image: c\n',
    'My App/sub/.keep': '',
  });
  t.after(() => rmSync(d, { recursive: true }));
  const p = load(path.join(d, 'My App', 'sub'));
  assert.deepEqual(Object.keys(p.services), ['web']);
  assert.equal(p.services.web!.image, 'b');
  assert.equal(p.name, 'myapp');
  assert.equal(p.workingDir, path.join(d, 'My App'));
  assert.deepEqual(p.configFiles.map((f) => path.basename(f)), ['compose.yaml', 'compose.override.yaml']);
  assert.deepEqual(Object.keys(p.networks), ['default']);
  assert.equal(p.networks.default!.name, 'myapp_default');
});

test('project name: -p, then COMPOSE_PROJECT_NAME (also from .env), then name:, then folder; invalid names refused', (t) => {
  const d = dir({ 'compose.yaml': 'name: fromfile\nservices:\n  web:\n    image: a\n', '.env': 'COMPOSE_PROJECT_NAME=fromdotenv\n' });
  t.after(() => rmSync(d, { recursive: true }));
  assert.equal(load(d, { projectName: 'flag' }).name, 'flag');
  assert.equal(load(d, { env: { COMPOSE_PROJECT_NAME: 'fromenv' } }).name, 'fromenv');
  assert.equal(load(d).name, 'fromdotenv');
  writeFileSync(path.join(d, 'other.env'), 'X=1\n');
  // --env-file replaces .env: the top-level name is next
  assert.equal(load(d, { envFiles: [path.join(d, 'other.env')] }).name, 'fromfile');
  assert.match(loadError(d, { projectName: 'Bad Name' }).message, /invalid project name "Bad Name"/);
});

test('-f files merge in order; COMPOSE_FILE is used without -f; relative paths resolve against the project directory', (t) => {
  const d = dir({
    'base.yaml': 'services:\n  web:\n    image: a\n    environment: [A=1]\n    volumes: [./data:/data]\n',
    'over.yaml': 'services:\n  web:\n    environment: {B: "2"}\n    ports: ["8080:80"]\n',
  });
  t.after(() => rmSync(d, { recursive: true }));
  const p = load(d, { files: ['base.yaml', 'over.yaml'] });
  assert.deepEqual(p.services.web!.environment, { A: '1', B: '2' });
  assert.deepEqual(p.services.web!.ports, [{ mode: 'ingress', target: 80, protocol: 'tcp', published: '8080' }]);
  assert.equal(p.services.web!.volumes![0]!.source, path.join(d, 'data'));
  const q = load(d, { env: { COMPOSE_FILE: 'base.yaml:over.yaml' } });
  assert.deepEqual(q.services.web!.environment, { A: '1', B: '2' });
});

test('.env and --env-file feed interpolation; the process environment wins', (t) => {
  const d = dir({
    'compose.yaml': 'services:\n  web:\n    image: "busybox:${TAG}"\n    environment:\n      MODE: ${MODE:-dev}\n      ONLY_ENV:\n',
    '.env': 'TAG=1.0\nMODE=staging\n',
    'prod.env': 'TAG=2.0\n',
  });
  t.after(() => rmSync(d, { recursive: true }));
  const p = load(d, { env: { MODE: 'prod', ONLY_ENV: 'x' } });
  assert.equal(p.services.web!.image, 'busybox:1.0');
  assert.deepEqual(p.services.web!.environment, { MODE: 'prod', ONLY_ENV: 'x' });
  assert.equal(load(d, { envFiles: [path.join(d, 'prod.env')] }).services.web!.image, 'busybox:2.0');
  assert.match(loadError(d, { envFiles: [path.join(d, 'missing.env')] }).message, /missing\.env/);
});

test('YAML anchors and merge keys', (t) => {
  const d = dir({ 'compose.yaml': 'x-base: &base\n  image: busybox\n  environment: {A: "1"}\nservices:\n  a:\n    <<: *base\n    command: echo a\n  b:\n    <<: *base\n    image: other\n' });
  t.after(() => rmSync(d, { recursive: true }));
  const p = load(d);
  assert.equal(p.services.a!.image, 'busybox');
  assert.deepEqual(p.services.a!.command, ['echo', 'a']);
  assert.equal(p.services.b!.image, 'other');
  assert.deepEqual(p.services.b!.environment, { A: '1' });
});

test('extends: same file and another file (its paths relative to that file)', (t) => {
  const d = dir({
    'compose.yaml': 'services:\n  base:\n    image: busybox\n    environment: {A: "1"}\n  web:\n    extends: base\n    environment: {B: "2"}\n  job:\n    extends:\n      file: common/common.yaml\n      service: worker\n    command: run\n',
    'common/common.yaml': 'services:\n  worker:\n    image: worker:1\n    volumes: [./cache:/cache]\n    command: idle\n',
  });
  t.after(() => rmSync(d, { recursive: true }));
  const p = load(d);
  assert.deepEqual(p.services.web!.environment, { A: '1', B: '2' });
  assert.equal(p.services.web!.image, 'busybox');
  assert.equal(p.services.job!.image, 'worker:1');
  assert.deepEqual(p.services.job!.command, ['run']);
  assert.equal(p.services.job!.volumes![0]!.source, path.join(d, 'common', 'cache'));
  assert.equal(p.services.job!.extends, undefined);
});

test('include: another project\'s services and resources; a duplicate service is an error', (t) => {
  const d = dir({
    'compose.yaml': 'include:\n  - db/compose.yaml\nservices:\n  web:\n    image: busybox\n    depends_on: [db]\n',
    'db/compose.yaml': 'services:\n  db:\n    image: "db:${DB_TAG}"\n    volumes: [dbdata:/var/lib/db]\nvolumes:\n  dbdata: {}\n',
    'db/.env': 'DB_TAG=15\n',
  });
  t.after(() => rmSync(d, { recursive: true }));
  const p = load(d);
  assert.deepEqual(Object.keys(p.services).sort(), ['db', 'web']);
  assert.equal(p.services.db!.image, 'db:15');
  assert.equal(p.volumes.dbdata!.name, `${p.name}_dbdata`);
  writeFileSync(path.join(d, 'compose.yaml'), 'include:\n  - db/compose.yaml\nservices:\n  db:\n    image: busybox\n');
  assert.match(loadError(d).message, /services\.db conflicts with imported resource/);
});

test('profiles: --profile, COMPOSE_PROFILES, services named on the command line and their dependencies', (t) => {
  const d = dir({ 'compose.yaml': 'services:\n  web:\n    image: a\n  debug:\n    image: b\n    profiles: [dev]\n    depends_on: [tools]\n  tools:\n    image: c\n    profiles: [tools]\n' });
  t.after(() => rmSync(d, { recursive: true }));
  assert.deepEqual(Object.keys(load(d).services), ['web']);
  assert.deepEqual(Object.keys(load(d, { profiles: ['tools'] }).services).sort(), ['tools', 'web']);
  assert.deepEqual(Object.keys(load(d, { env: { COMPOSE_PROFILES: 'dev,tools' } }).services).sort(), ['debug', 'tools', 'web']);
  assert.deepEqual(Object.keys(load(d, { services: ['debug'] }).services).sort(), ['debug', 'tools', 'web']);
  assert.match(loadError(d, { profiles: ['dev'] }).message, /service "tools" is required by "debug" but is disabled/);
});

test('env_file: required and optional files, the service environment wins', (t) => {
  const d = dir({
    'compose.yaml': 'services:\n  web:\n    image: a\n    env_file:\n      - app.env\n      - path: optional.env\n        required: false\n    environment: {B: override}\n',
    'app.env': 'A=1\nB=2\n',
  });
  t.after(() => rmSync(d, { recursive: true }));
  assert.deepEqual(load(d).services.web!.environment, { A: '1', B: 'override' });
  writeFileSync(path.join(d, 'compose.yaml'), 'services:\n  web:\n    image: a\n    env_file: nope.env\n');
  const e = loadError(d);
  assert.match(e.message, /compose\.yaml:4: services\.web\.env_file\[0\]: env file .*nope\.env not found/);
});

test('errors name the file, the line, the path and the rule', (t) => {
  const d = dir({});
  t.after(() => rmSync(d, { recursive: true }));
  const cases: [string, RegExp][] = [
    ['services:\n  web:\n    image: a\n   bad: [\n', /^compose\.yaml:4: invalid YAML/],
    ['services:\n  web:\n    image: a\n    ports:\n      - 80\n      - {target: 80, published: [1]}\n', /^compose\.yaml:6: services\.web\.ports\[1\]\.published: must be string or integer \(type\)/],
    ['services:\n  web:\n    image: a\n    restartt: always\n', /^compose\.yaml:4: services\.web\.restartt: additional property restartt is not allowed \(additionalProperties\)/],
    ['services:\n  web:\n    image: a\n    depends_on: [nope]\n', /^compose\.yaml:4: services\.web\.depends_on\.nope: service "web" depends on undefined service "nope"/],
    ['services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on:\n      c: {condition: service_started}\n  c:\n    image: x\n    depends_on: [a]\n', /dependency cycle detected: a -> b -> c -> a/],
    ['services:\n  web:\n    image: a\n    environment:\n      - X=${REQUIRED:?must be set}\n', /^compose\.yaml:5: services\.web\.environment\[0\]: required variable REQUIRED is missing a value: must be set/],
    ['services:\n  web:\n    image: a\n    networks: [front]\n', /services\.web\.networks\.front: service "web" refers to undefined network front/],
    ['services:\n  web:\n    image: a\n    volumes: [data:/data]\n', /compose\.yaml:4: services\.web\.volumes\[0\]: service "web" refers to undefined volume data/],
    ['services:\n  web:\n    image: a\n    ports: ["80:80:80:80"]\n', /compose\.yaml:4: services\.web\.ports\[0\]: invalid port "80:80:80:80"/],
  ];
  for (const [text, re] of cases) {
    writeFileSync(path.join(d, 'compose.yaml'), text);
    assert.match(loadError(d, { files: [path.join(d, 'compose.yaml')] }).message.replace(/^.*compose\.yaml/, 'compose.yaml'), re, text);
  }
});

test('normalization: short port and volume syntax, healthcheck test, depends_on long form, deploy replicas', (t) => {
  const d = dir({ 'compose.yaml': [
    'services:',
    '  web:',
    '    image: a',
    '    ports: ["127.0.0.1:8000-8001:80-81/udp", "9000"]',
    '    volumes: ["data:/data:ro,nocopy", "/srv:/srv", "/anon"]',
    '    healthcheck: {test: "curl -f http://localhost", interval: 5s}',
    '    depends_on: [db]',
    '    deploy: {replicas: 3}',
    '    command: sh -c "echo \'a b\'"',
    '  db:',
    '    image: b',
    '    network_mode: none',
    'volumes:',
    '  data:',
    '    external: true',
    '',
  ].join('\n') });
  t.after(() => rmSync(d, { recursive: true }));
  const p = load(d);
  const w = p.services.web!;
  assert.deepEqual(w.ports, [
    { mode: 'ingress', target: 80, protocol: 'udp', host_ip: '127.0.0.1', published: '8000' },
    { mode: 'ingress', target: 81, protocol: 'udp', host_ip: '127.0.0.1', published: '8001' },
    { mode: 'ingress', target: 9000, protocol: 'tcp' },
  ]);
  assert.deepEqual(w.volumes, [
    { type: 'volume', source: 'data', target: '/data', read_only: true, volume: { nocopy: true } },
    { type: 'bind', source: '/srv', target: '/srv', bind: { create_host_path: true } },
    { type: 'volume', target: '/anon', volume: {} },
  ]);
  assert.deepEqual(w.healthcheck, { test: ['CMD-SHELL', 'curl -f http://localhost'], interval: '5s' });
  assert.deepEqual(w.depends_on, { db: { condition: 'service_started', required: true } });
  assert.deepEqual(w.command, ['sh', '-c', "echo 'a b'"]);
  assert.equal(p.volumes.data!.name, 'data');
  assert.equal(p.volumes.data!.external, true);
  assert.equal(p.services.db!.networks, undefined);
});

test('no interpolation (config --no-interpolate): ${VAR} stays as written, a port named through a variable too', (t) => {
  const d = dir({ 'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG:-1}"\n    ports: ["${P}:80"]\n    environment: {A: "${X}", B: $$HOME}\n' });
  t.after(() => rmSync(d, { recursive: true }));
  const p = load(d, { env: { TAG: '2', X: 'x', P: '8080' }, interpolate: false });
  const w = p.services.web!;
  assert.equal(w.image, 'nginx:${TAG:-1}');
  assert.deepEqual(w.ports, ['${P}:80']);
  assert.deepEqual(w.environment, { A: '${X}', B: '$$HOME' });
  const q = load(d, { env: { TAG: '2', X: 'x', P: '8080' } });
  assert.equal(q.services.web!.image, 'nginx:2');
  assert.deepEqual(q.services.web!.environment, { A: 'x', B: '$HOME' });
});
