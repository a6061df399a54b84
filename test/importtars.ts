/**
 * The tars of the hostile import cases (issue 17), written to files: many small files in a few hundred
 * directories, and one path many directories deep (each directory its own entry, as tar writes them).
 * Shared by test/import.test.ts and bench/import.ts.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';

const MTIME = new Date(1700000000000);

async function writeTar(file: string, fill: (pack: tar.Pack) => void): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(file));
  fill(pack);
  pack.finalize();
  await done;
}

/** `dirs` directories `d<i>` of `perDir` files `f<j>` holding `file d<i>/f<j>\n`. */
export function writeManyFilesTar(file: string, dirs: number, perDir: number): Promise<void> {
  return writeTar(file, (pack) => {
    for (let d = 0; d < dirs; d++) {
      pack.entry({ name: `d${d}/`, type: 'directory', mode: 0o755, mtime: MTIME });
      for (let f = 0; f < perDir; f++) pack.entry({ name: `d${d}/f${f}`, mode: 0o644, mtime: MTIME }, `file d${d}/f${f}\n`);
    }
  });
}

/** `d/d/.../d` (`depth` directories, each an entry) and the file `deep` at the bottom. */
export function writeDeepTar(file: string, depth: number): Promise<void> {
  return writeTar(file, (pack) => {
    let p = '';
    for (let i = 0; i < depth; i++) {
      p += 'd/';
      pack.entry({ name: p, type: 'directory', mode: 0o755, mtime: MTIME });
    }
    pack.entry({ name: `${p}deep`, mode: 0o644, mtime: MTIME }, 'at the bottom\n');
  });
}
