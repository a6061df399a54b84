/**
 * Go text/tabwriter as the docker CLI configures it (minwidth 10, tabwidth 1, padding 3, ' '):
 * tab-terminated cells are padded to the widest cell of their column plus 3, at least 10; the text
 * after a line's last tab is left as is.
 */
const width = (s: string): number => [...s].length;

export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  // Go's tabwriter aligns a column over consecutive lines that have that column (a "block")
  const out: string[][] = lines.map((cells) => [...cells]);
  const maxCols = Math.max(0, ...lines.map((c) => c.length - 1));
  for (let col = 0; col < maxCols; col++) {
    let i = 0;
    while (i < lines.length) {
      if ((lines[i] as string[]).length - 1 <= col) {
        i++;
        continue;
      }
      let j = i;
      let w = minwidth;
      while (j < lines.length && (lines[j] as string[]).length - 1 > col) {
        w = Math.max(w, width((lines[j] as string[])[col] as string) + padding);
        j++;
      }
      for (let k = i; k < j; k++) {
        const cell = (lines[k] as string[])[col] as string;
        (out[k] as string[])[col] = cell + ' '.repeat(w - width(cell));
      }
      i = j;
    }
  }
  return out.map((c) => c.join('')).join('\n') + (trailingNewline ? '\n' : '');
}

/** Renders rows of cells as a docker table. */
export function table(rows: readonly (readonly string[])[]): string {
  return tabwrite(rows.map((r) => r.join('\t')).join('\n') + '\n');
}
