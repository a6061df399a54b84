/**
 * The config hash against docker compose v2's. How the expected values were obtained: each expected JSON
 * below was written by hand from docker compose v2.40's ServiceHash (pkg/compose/hash.go: build,
 * pull_policy, scale, deploy.replicas, depends_on and profiles cleared, then json.Marshal) and from
 * compose-go v2.9.1's types (types/types.go field order and `omitempty` tags; Duration, UnitBytes,
 * HostsList, FileMode and UlimitsConfig marshal themselves; float32 cpus) and loader (short ports and
 * volumes to their long form with `volume: {}` for a short named volume, `networks: {default: null}`
 * added, environment entries without a value looked up or kept as null, YAML `0440` read as octal).
 * The expected hash is `sha256sum` of that JSON (printf '%s' JSON | sha256sum). The encoder was also
 * checked, outside this suite, against compose-go's own JSON for its full example project
 * (loader/full-struct_test.go): every service field of the 48 it sets came out identical.
 * The first value, for a service that is just `image: redis`, is the simplest one v2 ever writes.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadValidator } from './validate.js';
import { loadProject } from './loader.js';
import { hashInput, networkHash, serviceHash, volumeHash } from './hash.js';
import { goDurationString, goFloat32, goString, composeDurationNs } from './gojson.js';
import type { Project } from './model.js';

before(loadValidator);

function project(yaml: string, env: Record<string, string> = {}, extra: Record<string, string> = {}): { p: Project; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-hash-'));
  writeFileSync(path.join(dir, 'compose.yaml'), yaml);
  for (const [f, text] of Object.entries(extra)) writeFileSync(path.join(dir, f), text);
  return { p: loadProject({ cwd: dir, env }), dir };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('hash: a service that is only an image', (t) => {
  const { p, dir } = project('services:\n  cache:\n    image: redis\n');
  t.after(() => rmSync(dir, { recursive: true }));
  const json = '{"command":null,"entrypoint":null,"image":"redis","networks":{"default":null}}';
  assert.equal(hashInput(p.services.cache!), json);
  assert.equal(serviceHash(p.services.cache!), '12a5cec450c1bda54df1971ae5e7d78f63a83d86ad5ad41c9e3fc1c339519104');
  assert.equal(sha(json), serviceHash(p.services.cache!));
});

const WEB = `services:
  web:
    image: nginx:1.27
    command: nginx -g 'daemon off;'
    environment:
      B: "2"
      A: 1
      UNSET:
      FROM_HOST:
    ports:
      - "8080:80"
      - target: 443
        published: 8443
    volumes:
      - data:/data/
      - /srv/html:/usr/share/nginx/html:ro
      - /anon
    healthcheck:
      test: curl -f http://localhost/ || exit 1
      interval: 90s
      timeout: 500ms
      retries: 3
    deploy:
      replicas: 2
      resources:
        limits:
          cpus: "0.5"
          memory: 64m
    extra_hosts:
      - "host.docker.internal=host-gateway"
      - "db:10.0.0.2"
    depends_on: [cache]
    labels:
      com.example: "<a&b>"
    stop_grace_period: 1m
    shm_size: 1g
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    secrets:
      - source: key
        mode: 0440
    x-note: not hashed
  cache:
    image: redis
secrets:
  key:
    file: ./key
volumes:
  data:
`;

// Field by field, in compose-go's order: command (shell words), deploy (replicas cleared; resources and
// placement are struct values, never omitted; cpus a float32, memory a quoted byte count), entrypoint
// (null), environment (sorted; UNSET not in the environment stays null), extra_hosts (sorted host=ip
// list), healthcheck (timeout before interval; Go's Duration text 1m30s), image, labels (HTML
// characters escaped as json.Marshal does), networks, ports (mode before target; short syntax with mode
// ingress and protocol tcp), secrets (target defaulted; mode 0440 octal), shm_size, stop_grace_period
// (1m0s), ulimits (a single value as a number), volumes (target cleaned; short named and anonymous
// volumes with an empty volume object; a short bind creates its host path).
const WEB_JSON = '{"command":["nginx","-g","daemon off;"],"deploy":{"resources":{"limits":{"cpus":0.5,"memory":"67108864"}},"placement":{}},"entrypoint":null,'
  + '"environment":{"A":"1","B":"2","FROM_HOST":"yes","UNSET":null},"extra_hosts":["db=10.0.0.2","host.docker.internal=host-gateway"],'
  + '"healthcheck":{"test":["CMD-SHELL","curl -f http://localhost/ || exit 1"],"timeout":"500ms","interval":"1m30s","retries":3},"image":"nginx:1.27",'
  + '"labels":{"com.example":"\\u003ca\\u0026b\\u003e"},"networks":{"default":null},'
  + '"ports":[{"mode":"ingress","target":80,"published":"8080","protocol":"tcp"},{"mode":"ingress","target":443,"published":"8443","protocol":"tcp"}],'
  + '"secrets":[{"source":"key","target":"/run/secrets/key","mode":"0440"}],"shm_size":"1073741824","stop_grace_period":"1m0s",'
  + '"ulimits":{"nofile":{"soft":1024,"hard":2048},"nproc":512},'
  + '"volumes":[{"type":"volume","source":"data","target":"/data","volume":{}},{"type":"bind","source":"/srv/html","target":"/usr/share/nginx/html","read_only":true,"bind":{"create_host_path":true}},{"type":"volume","target":"/anon","volume":{}}]}';

test('hash: a web service with ports, volumes, healthcheck, resources and more', (t) => {
  const { p, dir } = project(WEB, { FROM_HOST: 'yes' }, { key: 's3cret' });
  t.after(() => rmSync(dir, { recursive: true }));
  assert.equal(hashInput(p.services.web!), WEB_JSON);
  assert.equal(serviceHash(p.services.web!), sha(WEB_JSON));
  assert.equal(sha(WEB_JSON), '4b240a1cdf0abc3d6e407f81ddaf6b4db691b8163dc57af23a8703edf1fcf773');
});

test('hash: what v2 leaves out changes nothing; what it keeps changes the hash', (t) => {
  const base = 'services:\n  app:\n    image: busybox\n    environment: [A=1]\n';
  const { p, dir } = project(base);
  t.after(() => rmSync(dir, { recursive: true }));
  const h = serviceHash(p.services.app!);
  const same = [
    '    scale: 3\n', '    profiles: [x]\n', '    pull_policy: always\n',
    '    build: .\n', '    x-anything: 1\n', '    env_file: [{path: ./none.env, required: false}]\n', '    depends_on: [other]\n',
  ];
  for (const extra of same) {
    const { p: q, dir: d2 } = project(`${base}${extra}  other:\n    image: busybox\n    profiles: [x]\n`, { COMPOSE_PROFILES: 'x' });
    rmSync(d2, { recursive: true });
    assert.equal(serviceHash(q.services.app!), h, extra);
  }
  // an env_file's values are part of the environment, its path is not
  const { p: e, dir: d3 } = project('services:\n  app:\n    image: busybox\n    env_file: a.env\n', {}, { 'a.env': 'A=1\n' });
  rmSync(d3, { recursive: true });
  assert.equal(serviceHash(e.services.app!), h);
  const changed = ['    environment: [A=2]\n', '    command: sh\n', '    deploy: {replicas: 2, resources: {limits: {memory: 64m}}}\n', '    volumes: [{type: volume, target: /anon}]\n'];
  for (const c of changed) {
    const { p: q, dir: d2 } = project(base.replace('    environment: [A=1]\n', c.startsWith('    environment') ? c : `    environment: [A=1]\n${c}`));
    rmSync(d2, { recursive: true });
    assert.notEqual(serviceHash(q.services.app!), h, c);
  }
  // deploy with only replicas still leaves the (empty) resources and placement structs
  const { p: r, dir: d4 } = project(`${base}    deploy: {replicas: 2}\n`);
  rmSync(d4, { recursive: true });
  assert.equal(hashInput(r.services.app!), '{"command":null,"deploy":{"resources":{},"placement":{}},"entrypoint":null,"environment":{"A":"1"},"image":"busybox","networks":{"default":null}}');
});

test('hash: service references are hashed as the container they resolve to', (t) => {
  const { p, dir } = project('services:\n  web:\n    image: busybox\n  side:\n    image: busybox\n    network_mode: service:web\n    volumes_from: [web:ro, "container:abc:rw"]\n');
  t.after(() => rmSync(dir, { recursive: true }));
  const refs = (s: string) => (s === 'web' ? 'f00d' : undefined);
  // v2 replaces a volumes_from entry by the ID alone (its mode is dropped), and container:x by x
  const json = '{"command":null,"entrypoint":null,"image":"busybox","network_mode":"container:f00d","volumes_from":["f00d","abc"]}';
  assert.equal(hashInput(p.services.side!, refs), json);
  assert.equal(serviceHash(p.services.side!, refs), sha(json));
});

test('hash: label_file labels, under the service labels', (t) => {
  const { p, dir } = project('services:\n  app:\n    image: busybox\n    labels: {b: own}\n    label_file: ./l.txt\n', {}, { 'l.txt': 'a=1\nb=from-file\n' });
  t.after(() => rmSync(dir, { recursive: true }));
  assert.deepEqual(p.services.app!.labels, { a: '1', b: 'own' });
  assert.equal(hashInput(p.services.app!), `{"command":null,"entrypoint":null,"image":"busybox","labels":{"a":"1","b":"own"},"label_file":[${JSON.stringify(path.join(dir, 'l.txt'))}],"networks":{"default":null}}`);
});

test('go encodings: durations, float32, strings', () => {
  const d = (s: string) => goDurationString(composeDurationNs(s));
  assert.deepEqual(['0s', '90s', '1h', '1.5s', '500ms', '1.5ms', '2us', '1d', '1m30s', '100ns'].map(d), ['0s', '1m30s', '1h0m0s', '1.5s', '500ms', '1.5ms', '2µs', '24h0m0s', '1m30s', '100ns']);
  assert.deepEqual([0.5, 0.1, 1.5, 2, 0.333333333, 1e-7].map(goFloat32), ['0.5', '0.1', '1.5', '2', '0.33333334', '1e-7']);
  assert.equal(goString('a"b\\c\n<>&\u2028\u0001'), '"a\\"b\\\\c\\n\\u003c\\u003e\\u0026\\u2028\\u0001"');
});

test('hash: networks and volumes as v2 labels them (NetworkHash, VolumeHash)', (t) => {
  const { p, dir } = project('services:\n  a:\n    image: busybox\n    volumes: [data:/d]\n    networks: [default, back]\nnetworks:\n  back:\n    internal: true\n    driver_opts: {mtu: 1400}\n    labels: [x=1]\nvolumes:\n  data:\n', {}, {});
  t.after(() => rmSync(dir, { recursive: true }));
  const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, '');
  // IPAMConfig is a struct value (always written); a volume's driver is "local" when unset
  assert.equal(networkHash(p.networks.default!), sha(`{"name":"${name}_default","ipam":{}}`));
  assert.equal(networkHash(p.networks.back!), sha(`{"name":"${name}_back","driver_opts":{"mtu":"1400"},"ipam":{},"internal":true,"labels":{"x":"1"}}`));
  assert.equal(volumeHash(p.volumes.data!), sha(`{"name":"${name}_data","driver":"local"}`));
});
