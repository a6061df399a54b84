import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDockerfile } from './dockerfile/instructions.js';
import { planBuild, runGraph } from './graph.js';
import { cacheKey } from './cache.js';
import { goMatch, cleanSource } from './copy.js';
import { continuation } from './cachefrom.js';
import { runCommand } from './runstep.js';

const DF = `ARG IMG=busybox
FROM $IMG AS deps
RUN echo deps
FROM busybox AS unused
RUN echo never
FROM busybox AS assets
RUN echo assets
FROM deps AS final
COPY --from=assets /a /a
COPY --from=busybox /bin/sh /sh
`;

test('the target needs only the stages it reaches', () => {
  const df = loadDockerfile(DF);
  const plan = planBuild(df, undefined, (s) => s.replace('$IMG', 'busybox'));
  assert.equal(plan.target, 3);
  assert.deepEqual(plan.needed, [0, 2, 3]);
  assert.deepEqual(plan.stages[3]!.deps.sort(), [0, 2]);
  assert.equal(plan.stages[3]!.baseStage, 0);
  assert.equal(plan.stages[0]!.base, 'busybox');
  const t = planBuild(df, 'unused', (s) => s);
  assert.deepEqual(t.needed, [1]);
  assert.throws(() => planBuild(df, 'nope', (s) => s), /failed to reach build target nope in Dockerfile/);
  assert.throws(() => planBuild(loadDockerfile('FROM a\nCOPY --from=1 x y\nFROM b\n'), undefined, (s) => s), /refers to current or future build stage/);
});

test('independent stages run at the same time; a failure stops what waits on it', async () => {
  const df = loadDockerfile(DF);
  const plan = planBuild(df, undefined, (s) => s);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  await runGraph(plan, async (sp) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 30));
    running--;
    order.push(sp.stage.index);
    return sp.stage.index;
  });
  assert.equal(peak, 2); // deps and assets together
  assert.equal(order[order.length - 1], 3);
  const ran: number[] = [];
  await assert.rejects(runGraph(plan, async (sp) => {
    ran.push(sp.stage.index);
    if (sp.stage.index === 0) throw new Error('boom');
    return 0;
  }), /boom/);
  assert.ok(!ran.includes(3));
});

test('cache keys: parent, command, config and content decide; key order does not', () => {
  const base = { parent: 'sha256:p', createdBy: '/bin/sh -c echo', config: { Env: ['A=1'], WorkingDir: '/' } };
  const k = cacheKey(base);
  assert.equal(cacheKey({ ...base, config: { WorkingDir: '/', Env: ['A=1'] } }), k);
  assert.equal(cacheKey({ ...base, config: { ...base.config, Hostname: 'abc' } }), k); // hostnames are per container
  assert.notEqual(cacheKey({ ...base, parent: 'sha256:q' }), k);
  assert.notEqual(cacheKey({ ...base, createdBy: '|1 V=2 /bin/sh -c echo' }), k);
  assert.notEqual(cacheKey({ ...base, config: { ...base.config, Env: ['A=2'] } }), k);
  assert.notEqual(cacheKey({ ...base, contentHash: 'file:1' }), cacheKey({ ...base, contentHash: 'file:2' }));
});

test('COPY sources: Go\'s filepath.Match and paths that leave the context', () => {
  assert.equal(goMatch('*.txt', 'a.txt'), true);
  assert.equal(goMatch('*.txt', 'a/b.txt'), false);
  assert.equal(goMatch('f?le[0-9]', 'file7'), true);
  assert.equal(goMatch('[!a]x', 'bx'), false); // Go's negation is ^, not !
  assert.equal(goMatch('[^a]x', 'bx'), true);
  assert.equal(cleanSource('./src/', true), 'src');
  assert.equal(cleanSource('/abs/x', true), 'abs/x');
  assert.equal(cleanSource('.', true), '');
  assert.throws(() => cleanSource('../x', true), /forbidden path outside the build context: \.\.\/x \(\)/);
  assert.throws(() => cleanSource('a/../../x', true), /forbidden path outside the build context/);
});

test('RUN commands: shell form through the shell, heredocs as scripts', () => {
  const sh = ['/bin/sh', '-c'];
  assert.deepEqual(runCommand({ kind: 'run', form: { shell: 'echo hi' }, heredocs: [], mounts: [] }, sh), ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(runCommand({ kind: 'run', form: { json: ['echo', 'hi'] }, heredocs: [], mounts: [] }, sh), ['echo', 'hi']);
  const h = { name: 'EOF', content: 'echo a\necho b\n', expand: true, chomp: false };
  assert.deepEqual(runCommand({ kind: 'run', form: { shell: '<<EOF' }, heredocs: [h], mounts: [] }, sh), ['/bin/sh', '-c', 'echo a\necho b\n']);
  assert.deepEqual(runCommand({ kind: 'run', form: { shell: 'cat <<EOF > /f' }, heredocs: [h], mounts: [] }, sh), ['/bin/sh', '-c', 'cat <<EOF > /f\necho a\necho b\nEOF']);
});

test('--cache-from: a source continues the parent when its history and layers extend it', () => {
  const parent = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: ['sha256:a'] }, history: [{ created_by: 'import' }] };
  const src = { ...parent, rootfs: { type: 'layers' as const, diff_ids: ['sha256:a', 'sha256:b'] }, history: [{ created_by: 'import' }, { created_by: 'run x' }] };
  assert.deepEqual(continuation(parent, src), { at: 1, layers: 1 });
  assert.equal(continuation(parent, { ...src, rootfs: { type: 'layers', diff_ids: ['sha256:z', 'sha256:b'] } }), undefined);
  assert.equal(continuation(src, parent), undefined);
});
