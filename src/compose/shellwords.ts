/** Splits a command string as a POSIX shell would split words (quotes and backslashes; no expansion). */
export function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      have = true;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${s}`);
      cur += s.slice(i + 1, end);
      i = end;
      have = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && (s[j + 1] === '"' || s[j + 1] === '\\' || s[j + 1] === '$' || s[j + 1] === '`')) j++;
        cur += s[j];
      }
      if (j >= s.length) throw new Error(`unterminated quote in: ${s}`);
      i = j;
      have = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}
