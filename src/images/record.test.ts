import test from 'node:test';
import assert from 'node:assert/strict';
import { historyOf, inspectConfig, type ImageRecord } from './record.js';

test('history: newest first, sizes follow non-empty steps in layer order, id and tags on the top entry', () => {
  const img: ImageRecord = {
    id: 'sha256:top', diffIDs: ['sha256:l0', 'sha256:l1'], repoTags: ['app:1'], repoDigests: [], size: 0,
    config: {
      architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:l0', 'sha256:l1'] },
      history: [
        { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in /' },
        { created: '2024-01-02T00:00:00Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
        { created: '2024-01-03T00:00:00Z', created_by: 'RUN make', comment: 'buildkit' },
      ],
    },
  };
  const sizes: Record<string, number> = { 'sha256:l0': 100, 'sha256:l1': 7 };
  assert.deepEqual(historyOf(img, (d) => sizes[d]!), [
    { Id: 'sha256:top', Created: 1704240000, CreatedBy: 'RUN make', Tags: ['app:1'], Size: 7, Comment: 'buildkit' },
    { Id: '<missing>', Created: 1704153600, CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]', Tags: null, Size: 0, Comment: '' },
    { Id: '<missing>', Created: 1704067200, CreatedBy: '/bin/sh -c #(nop) ADD file:abc in /', Tags: null, Size: 100, Comment: '' },
  ]);
  assert.deepEqual(historyOf({ ...img, config: { ...img.config, history: [] } }, () => 0), []);
});

test('inspect Config has the shape of Go\'s container.Config: every field without omitempty, in order', () => {
  const got = inspectConfig({ Cmd: ['sh'], Env: ['A=1'], Image: 'sha256:x', StopSignal: 'SIGINT', ExposedPorts: {}, Shell: [], Unknown: 1 } as object);
  assert.deepEqual(Object.entries(got), Object.entries({
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false,
    StdinOnce: false, Env: ['A=1'], Cmd: ['sh'], Image: 'sha256:x', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null,
    Labels: null, StopSignal: 'SIGINT',
  }));
  const set = inspectConfig({ ExposedPorts: { '80/tcp': {} }, Healthcheck: { Test: ['NONE'] }, StopTimeout: 0 }) as Record<string, unknown>;
  assert.deepEqual([set.ExposedPorts, set.Healthcheck, set.StopTimeout], [{ '80/tcp': {} }, { Test: ['NONE'] }, 0]);
});
