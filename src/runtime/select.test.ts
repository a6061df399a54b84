import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../core/errors.js';
import { cgroupLayout, checkHiddenCgroup2, invocation } from './select.js';
import type { OciSpec } from './oci/types.js';

const line = (id: number, mp: string, fstype: string, opts = 'rw') => `${id} 22 0:${id} / ${mp} rw,relatime - ${fstype} ${fstype} ${opts}`;
const HYBRID = [line(30, '/sys/fs/cgroup', 'tmpfs'), line(31, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'), line(40, '/sys/fs/cgroup/unified', 'cgroup2')].join('\n');
const V2 = [line(30, '/sys/fs/cgroup', 'cgroup2')].join('\n');
const V1 = [line(30, '/sys/fs/cgroup', 'tmpfs'), line(31, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory')].join('\n');

test('the cgroup layout from mountinfo', () => {
  assert.deepEqual(cgroupLayout(V2), { kind: 'v2' });
  assert.deepEqual(cgroupLayout(V1), { kind: 'v1' });
  assert.deepEqual(cgroupLayout(HYBRID, (mp) => (mp === '/sys/fs/cgroup/unified' ? ['hugetlb'] : [])), { kind: 'hybrid', unified: '/sys/fs/cgroup/unified', controllers: ['hugetlb'] });
});

test('crun runs through the helper on a hybrid layout only; runc always as it is', () => {
  const hybrid = cgroupLayout(HYBRID);
  assert.deepEqual(invocation('/usr/bin/crun', ['--debug'], hybrid, '/x/berth-hide-mount-exec'),
    { path: '/x/berth-hide-mount-exec', args: ['/sys/fs/cgroup/unified', '/usr/bin/crun', '--debug'], via: 'berth-hide-mount-exec' });
  assert.deepEqual(invocation('/usr/bin/crun', [], cgroupLayout(V2), '/x/h'), { path: '/usr/bin/crun', args: [] });
  assert.deepEqual(invocation('/usr/sbin/runc', [], hybrid, '/x/h'), { path: '/usr/sbin/runc', args: [] });
  const fallback = invocation('/usr/bin/crun', [], hybrid, undefined);
  assert.equal(fallback.via, 'unshare(1)');
  assert.deepEqual(fallback.args.slice(-2), ['/sys/fs/cgroup/unified', '/usr/bin/crun']);
});

test('what crun cannot do without the cgroup2 mount is refused, clearly', () => {
  const hybrid = cgroupLayout(HYBRID);
  const spec = (linux: Record<string, unknown>) => ({ ociVersion: '1.0.2', linux }) as unknown as OciSpec;
  const refused = (s: OciSpec, re: RegExp) => assert.throws(() => checkHiddenCgroup2(s, hybrid), (e: unknown) => isKind(e, 'InvalidArgument') && re.test((e as Error).message));
  refused(spec({ resources: { hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] } }), /hugetlb limits cannot be applied with crun on this host.*use --runtime runc/);
  refused(spec({ rootfsPropagation: 'rshared' }), /shared mount propagation cannot reach the host with crun/);
  checkHiddenCgroup2(spec({ resources: { memory: { limit: 1 << 26 } }, rootfsPropagation: 'rslave' }), hybrid);
  checkHiddenCgroup2(spec({ resources: { hugepageLimits: [{ pageSize: '2MB', limit: 1 }] } }), cgroupLayout(V2));
});
