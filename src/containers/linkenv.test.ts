import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkEnvVars } from './linkenv.js';

test('a link gets the port, name and env variables dockerd sets', () => {
  assert.deepEqual(linkEnvVars('/web/db-1', '172.17.0.3', ['FOO=bar', 'PATH=/bin', 'HOME=/root', 'EMPTY=', 'NOVALUE'], { '5432/tcp': {} }), [
    'DB_1_PORT=tcp://172.17.0.3:5432',
    'DB_1_PORT_5432_TCP=tcp://172.17.0.3:5432', 'DB_1_PORT_5432_TCP_ADDR=172.17.0.3', 'DB_1_PORT_5432_TCP_PORT=5432', 'DB_1_PORT_5432_TCP_PROTO=tcp',
    'DB_1_NAME=/web/db-1',
    'DB_1_ENV_FOO=bar', 'DB_1_ENV_EMPTY=',
  ]);
});

test('tcp ports come first, and runs of consecutive ports get their bounds', () => {
  const env = linkEnvVars('/a/x', '10.0.0.2', [], { '53/udp': {}, '8001/tcp': {}, '8000/tcp': {}, '8002/tcp': {}, '9000/tcp': {} });
  assert.equal(env[0], 'X_PORT=tcp://10.0.0.2:8000');
  const ranges = env.filter((e) => /_(START|END)=/.test(e));
  assert.deepEqual(ranges, [
    'X_PORT_8000_TCP_START=tcp://10.0.0.2:8000', 'X_PORT_8000_TCP_PORT_START=8000',
    'X_PORT_8000_TCP_END=tcp://10.0.0.2:8002', 'X_PORT_8000_TCP_PORT_END=8002',
  ]);
  const order = env.filter((e) => /^X_PORT_\d+_[A-Z]+=/.test(e)).map((e) => e.split('=')[0]);
  assert.deepEqual(order, ['X_PORT_8000_TCP', 'X_PORT_8001_TCP', 'X_PORT_8002_TCP', 'X_PORT_9000_TCP', 'X_PORT_53_UDP']);
  assert.equal(env.at(-1), 'X_NAME=/a/x');
});

test('a run at the end of the list is closed too; no ports, just the name', () => {
  const env = linkEnvVars('/a/y', '10.0.0.2', null, { '80/tcp': {}, '81/tcp': {} });
  assert.ok(env.includes('Y_PORT_80_TCP_END=tcp://10.0.0.2:81'));
  assert.deepEqual(linkEnvVars('/a/z', '10.0.0.2', undefined, undefined), ['Z_NAME=/a/z']);
});
