import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childImageConfig, commitConfig, EMPTY_LAYER_DIFF_ID, mergeConfig } from './commit.js';

const ctr = { Cmd: ['sh'], Env: ['PATH=/bin', 'A=1'], Labels: { a: '1' }, WorkingDir: '/w', ExposedPorts: { '80/tcp': {} }, User: 'u' } as const;

test('commitConfig applies the changes to the container config and fills the rest from it', () => {
  const c = commitConfig(structuredClone(ctr) as never, undefined, ['ENV A=2 B=3', 'LABEL b=2', 'EXPOSE 443', 'CMD ["x"]']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(c.Labels, { a: '1', b: '2' });
  assert.deepEqual(Object.keys(c.ExposedPorts ?? {}).sort(), ['443/tcp', '80/tcp']);
  assert.deepEqual([c.Cmd, c.WorkingDir, c.User], [['x'], '/w', 'u']);
  const ep = commitConfig(structuredClone(ctr) as never, undefined, ['ENTRYPOINT ["/e"]']);
  assert.deepEqual([ep.Entrypoint, ep.Cmd], [['/e'], null], 'ENTRYPOINT resets CMD as in a Dockerfile');
  assert.throws(() => commitConfig(ctr as never, undefined, ['RUN true']), /run is not a valid change command/);
});

test('mergeConfig: a request body config keeps its values, the container fills the gaps', () => {
  const m = mergeConfig({ Env: ['A=9'], Labels: { a: 'x' } }, ctr as never);
  assert.deepEqual(m.Env, ['A=9', 'PATH=/bin']);
  assert.deepEqual(m.Labels, { a: 'x' });
  assert.deepEqual(m.Cmd, ['sh']);
});

test('childImageConfig extends the parent rootfs and history; an empty layer is history only', () => {
  const parent = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: ['sha256:a'] }, history: [{ created_by: 'base' }] };
  const c = childImageConfig(parent, { config: {}, containerConfig: { Cmd: ['sh', '-c', 'x'] }, containerId: 'id', comment: 'm', diffID: 'sha256:b', created: 't' });
  assert.deepEqual(c.rootfs.diff_ids, ['sha256:a', 'sha256:b']);
  assert.deepEqual(c.history?.[1], { created: 't', created_by: 'sh -c x', comment: 'm' });
  const e = childImageConfig(parent, { config: {}, containerConfig: {}, containerId: 'id', diffID: EMPTY_LAYER_DIFF_ID, created: 't' });
  assert.deepEqual(e.rootfs.diff_ids, ['sha256:a']);
  assert.equal(e.history?.[1]?.empty_layer, true);
});
