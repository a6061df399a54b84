/**
 * `.dockerignore` patterns with Docker's semantics (moby/patternmatcher):
 *
 *   - one pattern a line; `#` lines and blank lines are skipped; surrounding white space is trimmed;
 *   - a pattern is cleaned as a path (`./a//b/` is `a/b`, a leading `/` is dropped);
 *   - `*` matches within one path element, `?` one character, `[a-z]` a class, `**` any number of
 *     elements (also none), `\` escapes;
 *   - `!pattern` re-includes what earlier lines excluded; the last line that matches a path decides;
 *   - a pattern that matches a directory also matches everything below it.
 */
import path from 'node:path';

interface Pattern {
  re: RegExp;
  exclusion: boolean;
  /** the cleaned text, for the directory walk */
  text: string;
}

function compile(p: string): RegExp {
  let r = '^';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        // `**/` matches zero or more directories; a trailing `**` anything
        if (p[i + 1] === '/') {
          i++;
          r += '(?:.*/)?';
        } else r += '.*';
      } else r += '[^/]*';
    } else if (c === '?') r += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) r += '\\[';
      else {
        r += `[${p.slice(i + 1, end).replace(/^\^|^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < p.length) r += p[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else r += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${r}$`);
}

/** Cleans a pattern as Go's filepath.Clean, without a leading slash. */
function cleanPattern(p: string): string {
  const c = path.posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '');
  return c === '' ? '.' : c;
}

export function parseIgnoreFile(text: string): string[] {
  const out: string[] = [];
  for (let line of text.replace(/^\ufeff/, '').split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (line === '') continue;
    let excl = false;
    if (line.startsWith('!')) {
      excl = true;
      line = line.slice(1).trim();
      if (line === '') continue;
    }
    out.push(`${excl ? '!' : ''}${cleanPattern(line)}`);
  }
  return out;
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: readonly string[]) {
    this.patterns = lines.map((l) => {
      const exclusion = l.startsWith('!');
      const text = cleanPattern(exclusion ? l.slice(1) : l);
      return { re: compile(text), exclusion, text };
    });
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** True when the path (relative to the context, `/`-separated) is ignored. */
  ignores(rel: string): boolean {
    if (this.patterns.length === 0) return false;
    const p = cleanPattern(rel);
    if (p === '.') return false;
    const parents = p.split('/');
    let matched = false;
    for (const pat of this.patterns) {
      if (pat.exclusion !== matched) continue; // cannot change the result
      let m = pat.re.test(p);
      // a pattern matching a parent directory matches its contents
      for (let k = 1; !m && k < parents.length; k++) m = pat.re.test(parents.slice(0, k).join('/'));
      if (m) matched = !pat.exclusion;
    }
    return matched;
  }

  /** True when an ignored directory may still hold re-included paths (so the walk must enter it). */
  mayReinclude(dir: string): boolean {
    const d = cleanPattern(dir);
    return this.patterns.some((p) => p.exclusion && (p.text.startsWith(`${d}/`) || p.text.includes('*') || p.text.includes('?') || p.text.includes('[')));
  }
}
