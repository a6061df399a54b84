import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSyntaxError, parseDockerfile } from './parser.js';
import { loadDockerfile } from './instructions.js';

test('continuations, comments inside them, BOM and blank lines', () => {
  const p = parseDockerfile('\ufeffFROM busybox\n\nRUN echo a \\\n# a comment\n  && echo b \\\n\n  && echo c\n# done\nCMD ["sh"]\n');
  assert.deepEqual(p.nodes.map((n) => n.instruction), ['from', 'run', 'cmd']);
  assert.equal(p.nodes[1]!.rest, 'echo a   && echo b   && echo c');
  assert.equal(p.nodes[1]!.startLine, 3);
  assert.equal(p.nodes[2]!.startLine, 9);
  assert.deepEqual(p.nodes[2]!.json, ['sh']);
  assert.match(p.warnings[0]!, /Empty continuation line/);
});

test('parser directives: escape, syntax, check; only at the top', () => {
  const p = parseDockerfile('# escape=`\n# syntax=docker/dockerfile:1\nFROM busybox\nRUN echo a `\n  b\n');
  assert.equal(p.directives.escape, '`');
  assert.equal(p.directives.syntax, 'docker/dockerfile:1');
  assert.equal(p.nodes[1]!.rest, 'echo a   b');
  // after a comment line that is not a directive, `# escape=` is a comment
  const q = parseDockerfile('# hello\n# escape=`\nFROM busybox\nRUN echo a \\\n b\n');
  assert.equal(q.directives.escape, '\\');
  assert.equal(q.nodes[1]!.rest, 'echo a  b');
  assert.throws(() => parseDockerfile('# escape=x\nFROM a\n'), /invalid escape token/);
  assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM a\n'), /only one escape parser directive/);
});

test('errors carry Docker\'s text and line numbers', () => {
  const cases: [string, RegExp][] = [
    ['FROM busybox\n\nRUNN echo\n', /dockerfile parse error on line 3: unknown instruction: RUNN$/],
    ['FROM busybox\nSHELL /bin/bash -c\n', /dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form$/],
    ['FROM a b\n', /dockerfile parse error on line 1: FROM requires either one or three arguments$/],
    ['FROM busybox\nENV\n', /line 2: ENV requires at least one argument/],
    ['FROM busybox\nENV =x\n', /line 2: ENV names can not be blank/],
    ['FROM busybox\nCOPY onlyone\n', /line 2: COPY requires at least two arguments/],
    ['FROM busybox\nRUN --foo=bar echo\n', /line 2: unknown flag: foo/],
    ['FROM busybox\nADD --from=x a b\n', /unknown flag: from/],
    ['FROM busybox\nHEALTHCHECK --interval=5s NONE\n', /HEALTHCHECK NONE takes no arguments/],
    ['FROM busybox\nONBUILD ONBUILD RUN x\n', /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/],
    ['FROM busybox\nONBUILD FROM x\n', /FROM isn't allowed as an ONBUILD trigger/],
    ['RUN echo\n', /(?<!line 1): no build stage in current context$/],
    ['FROM busybox\nARG\n', /line 2: ARG requires at least one argument$/],
    ['FROM busybox\nHEALTHCHECK --interval=1us CMD x\n', /line 2: Interval "interval" cannot be less than 1ms$/],
    ['FROM busybox\nHEALTHCHECK --timeout=-1s CMD x\n', /line 2: Interval "timeout" cannot be negative$/],
    ['FROM busybox\nRUN --mount=type=secret,id=x cat /run/secrets/x\n', /type=secret is not supported/],
    ['FROM a AS x\nFROM b AS X\n', /duplicate name x/],
    ['# syntax=example.com/frontend:1\nFROM a\n', /external frontend images are not supported/],
    ['FROM busybox\nCOPY <<EOF /x\nno end\n', /unterminated heredoc EOF/],
  ];
  for (const [text, re] of cases) assert.throws(() => loadDockerfile(text), re, text);
});

test('heredocs: plain, <<- with tabs stripped, quoted (no expansion), several on one line', () => {
  const p = parseDockerfile('FROM busybox\nRUN <<EOF\necho $HOME\nEOF\nCOPY <<-"A" <<B /dst/\n\tone\n\tA\ntwo\nB\nCMD x\n');
  const run = p.nodes[1]!;
  assert.deepEqual(run.heredocs, [{ name: 'EOF', content: 'echo $HOME\n', expand: true, chomp: false }]);
  const copy = p.nodes[2]!;
  assert.deepEqual(copy.heredocs.map((h) => [h.name, h.content, h.expand]), [['A', 'one\n', false], ['B', 'two\n', true]]);
  assert.equal(p.nodes[3]!.instruction, 'cmd');
  assert.equal(p.nodes[3]!.startLine, 10);
});

test('JSON and shell forms, flags with quoted values', () => {
  const df = loadDockerfile('FROM --platform=linux/amd64 busybox AS Base\nRUN ["echo", "a b"]\nRUN [not json\nCOPY --chown=1:2 --chmod=0755 --exclude=*.md --exclude=x a b /d/\nRUN --mount=type=cache,target=/c --network=none echo\n');
  const st = df.stages[0]!;
  assert.equal(st.name, 'base');
  assert.equal(st.from.platform, 'linux/amd64');
  const [r1, r2, c, r3] = st.steps.map((s) => s.ins);
  assert.deepEqual(r1, { kind: 'run', form: { json: ['echo', 'a b'] }, heredocs: [], network: undefined, mounts: [] });
  assert.deepEqual(r2!.kind === 'run' && r2.form, { shell: '[not json' });
  assert.ok(c!.kind === 'copy');
  if (c!.kind === 'copy') {
    assert.deepEqual([c.sources, c.dest, c.chown, c.chmod, c.exclude], [['a', 'b'], '/d/', '1:2', '0755', ['*.md', 'x']]);
  }
  assert.ok(r3!.kind === 'run' && r3.network === 'none' && r3.mounts[0]!.type === 'cache' && r3.mounts[0]!.target === '/c');
});

test('meta args before the first FROM; ENV legacy form; LABEL and ARG pairs', () => {
  const df = loadDockerfile('ARG BASE=busybox\nARG TAG\nFROM ${BASE}:${TAG:-latest}\nENV A b c\nENV B="x y" C=z\nLABEL "k 1"=v k2=\'w\'\nARG X=1 Y\n');
  assert.deepEqual(df.metaArgs, [{ name: 'BASE', value: 'busybox' }, { name: 'TAG' }]);
  const [e1, e2, l, a] = df.stages[0]!.steps.map((s) => s.ins);
  assert.deepEqual(e1, { kind: 'env', pairs: [{ key: 'A', value: 'b c' }] });
  assert.deepEqual(e2, { kind: 'env', pairs: [{ key: 'B', value: '"x y"' }, { key: 'C', value: 'z' }] });
  assert.deepEqual(l, { kind: 'label', pairs: [{ key: '"k 1"', value: 'v' }, { key: 'k2', value: "'w'" }] });
  assert.deepEqual(a, { kind: 'arg', args: [{ name: 'X', value: '1' }, { name: 'Y' }] });
});

test('the classic builder\'s parse rules: parser-level errors, legacy LABEL, USER and STOPSIGNAL take the rest, warnings', () => {
  // errors of the parser proper carry no line (the build names the file: `failed to parse Dockerfile: ...`)
  for (const [text, re] of [
    ['FROM busybox\nENV A\n', /^ENV must have two arguments$/],
    ['FROM busybox\nLABEL a=b c\n', /^Syntax error - can't find = in "c". Must be of the form: name=value$/],
    ['# escape=x\nFROM busybox\n', /^invalid escape token 'x' does not match ` or \\$/],
    ['\n# only a comment\n', /^file with no instructions$/],
  ] as [string, RegExp][]) {
    assert.throws(() => loadDockerfile(text), (e: unknown) => isSyntaxError(e) && re.test((e as Error).message), text);
  }
  assert.throws(() => loadDockerfile('FROM busybox\nRUNN x\n'), (e: unknown) => !isSyntaxError(e));
  const df = loadDockerfile('FROM busybox\nLABEL key some value\nUSER a b\nSTOPSIGNAL SIGTERM\n');
  assert.deepEqual(df.stages[0]!.steps.map((s) => s.ins), [
    { kind: 'label', pairs: [{ key: 'key', value: 'some value' }] },
    { kind: 'user', value: 'a b' },
    { kind: 'stopsignal', value: 'SIGTERM' },
  ]);
  assert.deepEqual(parseDockerfile('FROM busybox\nRUN echo a \\\n\n  b\n').warnings, [
    '[WARNING]: Empty continuation line found in:\n    RUN echo a   b',
    '[WARNING]: Empty continuation lines will become errors in a future release.',
  ]);
});
