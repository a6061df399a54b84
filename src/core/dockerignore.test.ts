import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreMatcher, parseIgnoreFile } from './dockerignore.js';

test('.dockerignore lines: comments, blanks, trimming, cleaning', () => {
  assert.deepEqual(parseIgnoreFile('# c\n\n  *.log  \n./a//b/\n/abs\n!keep.log\n! spaced\n'), ['*.log', 'a/b', 'abs', '!keep.log', '!spaced']);
});

test('Docker\'s pattern semantics', () => {
  const cases: [string[], string, boolean][] = [
    [['*.log'], 'a.log', true],
    [['*.log'], 'dir/a.log', false], // * stays within one element
    [['**/*.log'], 'dir/sub/a.log', true],
    [['**/*.log'], 'a.log', true], // ** matches no directory too
    [['dir'], 'dir/sub/file', true], // a pattern matching a parent matches its contents
    [['dir/**'], 'dir/x', true],
    [['*.md', '!README.md'], 'README.md', false],
    [['*.md', '!README.md'], 'CHANGES.md', true],
    [['!README.md', '*.md'], 'README.md', true], // the last matching line wins
    [['docs', '!docs/keep'], 'docs/keep', false],
    [['docs', '!docs/keep'], 'docs/other', true],
    [['a?c'], 'abc', true],
    [['a?c'], 'a/c', false],
    [['[a-c]x'], 'bx', true],
    [['[a-c]x'], 'dx', false],
    [['/node_modules'], 'node_modules/pkg/index.js', true],
    [['.git'], '.gitignore', false],
    [['**'], 'anything/at/all', true],
    [['a/**/b'], 'a/b', true],
    [['a/**/b'], 'a/x/y/b', true],
  ];
  for (const [pats, p, want] of cases) assert.equal(new IgnoreMatcher(pats).ignores(p), want, `${pats.join(',')} ${p}`);
});

test('re-included paths below an ignored directory make the walk enter it', () => {
  const m = new IgnoreMatcher(['docs', '!docs/keep']);
  assert.equal(m.mayReinclude('docs'), true);
  assert.equal(new IgnoreMatcher(['docs']).mayReinclude('docs'), false);
});
