import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerConfig } from '../../api/types.js';
import { isKind } from '../../core/errors.js';
import { composeArgs, containerEnv, mergeConfig, replaceOrAppendEnv, withHome } from './config.js';

test('composeArgs table', () => {
  const table: [string[] | null | undefined, string[] | null | undefined, string[]][] = [
    [null, ['sh'], ['sh']],
    [['/entry.sh'], null, ['/entry.sh']],
    [['/entry.sh', '-x'], ['run', 'it'], ['/entry.sh', '-x', 'run', 'it']],
    [[''], ['echo', 'hi'], ['echo', 'hi']],
    [[], ['ls'], ['ls']],
  ];
  for (const [ep, cmd, want] of table) assert.deepEqual(composeArgs(ep, cmd), want, JSON.stringify([ep, cmd]));
  for (const [ep, cmd] of [[null, null], [[''], []], [[], undefined]] as const) {
    assert.throws(() => composeArgs(ep, cmd), (e) => isKind(e, 'InvalidArgument') && (e as Error).message === 'No command specified');
  }
});

const image: ContainerConfig = {
  User: 'app',
  Env: ['PATH=/usr/bin', 'LANG=C', 'A=image'],
  Cmd: ['nginx', '-g', 'daemon off;'],
  Entrypoint: ['/docker-entrypoint.sh'],
  WorkingDir: '/srv',
  Labels: { maintainer: 'x', version: '1' },
  ExposedPorts: { '80/tcp': {} },
  Volumes: { '/data': {} },
  StopSignal: 'SIGQUIT',
  Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Retries: 3 },
};

test('mergeConfig table: entrypoint and cmd', () => {
  const table: [ContainerConfig, string[] | null | undefined, string[] | null | undefined][] = [
    [{}, image.Entrypoint, image.Cmd],
    [{ Cmd: ['sh'] }, image.Entrypoint, ['sh']],
    [{ Entrypoint: ['/bin/sh'] }, ['/bin/sh'], undefined],
    [{ Entrypoint: ['/bin/sh'], Cmd: ['-c', 'ls'] }, ['/bin/sh'], ['-c', 'ls']],
    [{ Entrypoint: [] }, [], image.Cmd],
    [{ Entrypoint: [''] }, [''], undefined],
    [{ Entrypoint: null, Cmd: null }, image.Entrypoint, image.Cmd],
  ];
  for (const [body, ep, cmd] of table) {
    const m = mergeConfig(image, body);
    assert.deepEqual(m.Entrypoint, ep, JSON.stringify(body));
    assert.deepEqual(m.Cmd, cmd, JSON.stringify(body));
  }
  assert.deepEqual(composeArgs(mergeConfig(image, { Entrypoint: [''], Cmd: ['id'] }).Entrypoint, ['id']), ['id']);
});

test('mergeConfig table: other fields', () => {
  const m = mergeConfig(image, {
    Env: ['A=body', 'B=2'],
    Labels: { version: '2', extra: 'y' },
    ExposedPorts: { '443/tcp': {} },
    Volumes: { '/logs': {} },
    Healthcheck: { Timeout: 5e9 },
    Hostname: 'h',
  });
  assert.deepEqual(m.Env, ['A=body', 'B=2', 'PATH=/usr/bin', 'LANG=C']);
  assert.deepEqual(m.Labels, { version: '2', extra: 'y', maintainer: 'x' });
  assert.deepEqual(Object.keys(m.ExposedPorts ?? {}).sort(), ['443/tcp', '80/tcp']);
  assert.deepEqual(Object.keys(m.Volumes ?? {}).sort(), ['/data', '/logs']);
  assert.deepEqual(m.Healthcheck, { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 5e9, Retries: 3, StartPeriod: undefined, StartInterval: undefined });
  assert.equal(m.User, 'app');
  assert.equal(m.WorkingDir, '/srv');
  assert.equal(m.StopSignal, 'SIGQUIT');
  assert.equal(m.Hostname, 'h');

  const o = mergeConfig(image, { User: '0', WorkingDir: '/tmp', StopSignal: 'SIGTERM' });
  assert.deepEqual([o.User, o.WorkingDir, o.StopSignal], ['0', '/tmp', 'SIGTERM']);
  assert.deepEqual(o.Env, image.Env);
  assert.notEqual(o.Env, image.Env, 'copies, never aliases the image config');

  const none = mergeConfig(null, { Cmd: ['x'] });
  assert.deepEqual([none.User, none.WorkingDir, none.Labels], ['', '', {}]);
  const withHost = mergeConfig(image, { HostConfig: { Privileged: true } } as ContainerConfig);
  assert.equal('HostConfig' in withHost, false);
});

test('containerEnv as Docker builds it', () => {
  assert.deepEqual(containerEnv({ hostname: 'abc', tty: true, env: ['FOO=1', 'PATH=/x'] }), ['PATH=/x', 'HOSTNAME=abc', 'TERM=xterm', 'FOO=1']);
  assert.deepEqual(containerEnv({ hostname: 'abc', env: ['HOSTNAME'] }), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2'], ['B=3', 'C=4', 'A']), ['B=3', 'C=4']);
});

test('withHome: HOME from passwd (or "/") unless the environment has one, as runc sets it', () => {
  assert.deepEqual(withHome(['PATH=/bin'], '/'), ['PATH=/bin', 'HOME=/']);
  assert.deepEqual(withHome(['HOME=/mine', 'PATH=/bin'], '/root'), ['HOME=/mine', 'PATH=/bin']);
});
