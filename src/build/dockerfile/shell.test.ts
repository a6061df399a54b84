import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand, expandWord, expandWords, splitWords } from './shell.js';

const env: Record<string, string> = { A: 'a', EMPTY: '', SP: 'x y', P: '/usr/local/bin', F: 'file.tar.gz' };
const look = (n: string) => env[n];

test('substitution forms, as BuildKit\'s shell lexer', () => {
  const cases: [string, string][] = [
    ['$A', 'a'], ['${A}', 'a'], ['pre${A}post', 'preapost'], ['$NOPE', ''], ['${NOPE}x', 'x'],
    ['${A:-w}', 'a'], ['${EMPTY:-w}', 'w'], ['${NOPE:-w}', 'w'], ['${EMPTY-w}', ''], ['${NOPE-w}', 'w'],
    ['${A:+w}', 'w'], ['${EMPTY:+w}', ''], ['${NOPE:+w}', ''], ['${EMPTY+w}', 'w'], ['${NOPE+w}', ''],
    ['${A?e}', 'a'], ['${EMPTY?e}', ''], ['${NOPE:-$A}', 'a'], ['${NOPE:-${A}b}', 'ab'],
    ["'$A'", '$A'], ['"$A"', 'a'], ['"\\$A"', '$A'], ['\\$A', '$A'], ['"a\\b"', 'a\\b'], ['a\\ b', 'a b'],
    ['$', '$'], ['$1', '$1'], ['${#SP}', '3'], ['${F%.*}', 'file.tar'], ['${F%%.*}', 'file'], ['${F#*.}', 'tar.gz'],
    ['${F##*.}', 'gz'], ['${P/local/opt}', '/usr/opt/bin'], ['${P//o/0}', '/usr/l0cal/bin'],
  ];
  for (const [word, want] of cases) assert.equal(expandWord(word, look), want, word);
});

test('${v:?e} and ${v?e} fail with the variable name and message', () => {
  assert.throws(() => expandWord('${EMPTY:?must be set}', look), /^Error: EMPTY: must be set$|EMPTY: must be set/);
  assert.throws(() => expandWord('${NOPE?gone}', look), /NOPE: gone/);
  assert.throws(() => expandWord('${A', look), /missing '}'/);
  assert.throws(() => expandWord('"open', look), /double-quote/);
});

test('words split on unquoted white space, also inside expansions', () => {
  assert.deepEqual(expandWords('a "b c" $SP \'d e\'', look), ['a', 'b c', 'x', 'y', 'd e']);
  assert.deepEqual(expandWords('"$SP"', look), ['x y']);
  assert.deepEqual(expandWords('"" x', look), ['', 'x']);
  assert.deepEqual(splitWords('A="x y" B=\'z w\' C=\\ d'), ['A="x y"', "B='z w'", 'C=\\ d']);
});

test('the backtick escape', () => {
  assert.equal(expandWord('a` b', look, '`'), 'a b');
  assert.equal(expandWord('C:\\dir', look, '`'), 'C:\\dir');
});

test('used variables are reported, set or not', () => {
  assert.deepEqual([...expand('$A ${NOPE:-x} ${#SP}', look).used].sort(), ['A', 'NOPE', 'SP']);
});
