import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolate, interpolateTree, InterpolationError } from './interpolate.js';
import { parseEnvFile, envMap } from './envfile.js';

const env: Record<string, string> = { SET: 'value', EMPTY: '', PORT: '8080', NESTED: 'inner' };
const look = (n: string) => env[n];

test('plain and braced variables, unset ones empty, $$ a literal dollar', () => {
  assert.equal(interpolate('a $SET b ${SET} c $UNSET d', look), 'a value b value c  d');
  assert.equal(interpolate('cost: $$5 and $${SET}', look), 'cost: $5 and ${SET}');
  assert.equal(interpolate('trailing $', look), 'trailing $');
});

test('defaults: :- for unset or empty, - for unset only', () => {
  assert.equal(interpolate('${UNSET:-d}', look), 'd');
  assert.equal(interpolate('${EMPTY:-d}', look), 'd');
  assert.equal(interpolate('${EMPTY-d}', look), '');
  assert.equal(interpolate('${UNSET-d}', look), 'd');
  assert.equal(interpolate('${SET:-d}', look), 'value');
});

test('replacements: :+ when set and not empty, + when set', () => {
  assert.equal(interpolate('${SET:+r}', look), 'r');
  assert.equal(interpolate('${EMPTY:+r}', look), '');
  assert.equal(interpolate('${EMPTY+r}', look), 'r');
  assert.equal(interpolate('${UNSET+r}', look), '');
});

test('nested expressions in defaults', () => {
  assert.equal(interpolate('${UNSET:-${NESTED}}', look), 'inner');
  assert.equal(interpolate('${UNSET:-${ALSO_UNSET:-deep ${PORT}}}', look), 'deep 8080');
  assert.equal(interpolate('${SET:-${MISSING:?never evaluated}}', look), 'value');
});

test('required variables fail with the message', () => {
  assert.throws(() => interpolate('${UNSET:?please set UNSET}', look), /required variable UNSET is missing a value: please set UNSET/);
  assert.throws(() => interpolate('${EMPTY:?}', look), /required variable EMPTY is missing a value/);
  assert.equal(interpolate('${EMPTY?err}', look), '');
  assert.throws(() => interpolate('${UNSET?err}', look), InterpolationError);
});

test('malformed expressions are errors', () => {
  assert.throws(() => interpolate('${SET', look), /missing closing brace/);
  assert.throws(() => interpolate('${1X}', look), /invalid interpolation format/);
  assert.throws(() => interpolate('${SET*x}', look), /invalid interpolation format/);
});

test('interpolateTree walks values, not keys, and reports the path of a failure', () => {
  const out = interpolateTree({ services: { web: { image: 'busybox:${TAG:-1}', ports: ['${PORT}:80'], '${SET}': 1 } } }, look);
  assert.deepEqual(out, { services: { web: { image: 'busybox:1', ports: ['8080:80'], '${SET}': 1 } } });
  try {
    interpolateTree({ services: { web: { environment: ['A=${NOPE:?gone}'] } } }, look);
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof InterpolationError);
    assert.deepEqual(err.path, ['services', 'web', 'environment', 0]);
  }
});

test('env files: export, comments, quotes, escapes, interpolation of earlier keys, bare keys', () => {
  const text = [
    '# comment',
    'export A=1',
    'B = two # trailing comment',
    "C='${A} literal'",
    'D="line\\nnext ${A}"',
    'E=${A}-${FROM_ENV:-dflt}',
    'F',
    'G="multi',
    'line"',
    '',
  ].join('\n');
  const m = envMap(parseEnvFile(text, (n) => (n === 'F' ? 'from-lookup' : undefined)));
  assert.equal(m.get('A'), '1');
  assert.equal(m.get('B'), 'two');
  assert.equal(m.get('C'), '${A} literal');
  assert.equal(m.get('D'), 'line\nnext 1');
  assert.equal(m.get('E'), '1-dflt');
  assert.equal(m.get('F'), 'from-lookup');
  assert.equal(m.get('G'), 'multi\nline');
  assert.throws(() => parseEnvFile('BAD KEY=1'), /unexpected character/);
  assert.equal(envMap(parseEnvFile('R=${A} "q"', () => undefined, true)).get('R'), '${A} "q"');
});
