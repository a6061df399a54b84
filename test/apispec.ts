/**
 * The operations of the Engine API description (/work/shared/spec/docker-engine-api-v1.47.yaml): method,
 * path template, parameters (name, where, type) and documented response codes. A reader for exactly
 * the shape of that file's `paths:` section (swagger 2, two-space indentation), not a YAML parser.
 */
import { readFileSync } from 'node:fs';

export interface SpecParam { name: string; in: string; type?: string; enum?: string[] }
export interface SpecOperation {
  method: string;
  path: string;
  params: SpecParam[];
  responses: number[];
  /** documents 101 (a connection upgrade) */
  hijack: boolean;
}

export const SPEC_FILE = '/work/shared/spec/docker-engine-api-v1.47.yaml';

export function readOperations(file = SPEC_FILE): SpecOperation[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.indexOf('paths:');
  if (start < 0) throw new Error(`${file}: no paths section`);
  const ops: SpecOperation[] = [];
  let path = '';
  let op: SpecOperation | undefined;
  let section = '';
  let param: SpecParam | undefined;
  const unq = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    let m: RegExpExecArray | null;
    if ((m = /^ {2}(\/\S*):\s*$/.exec(line))) { path = m[1]; op = undefined; continue; }
    if ((m = /^ {4}(get|post|put|delete|head|patch):\s*$/.exec(line))) {
      op = { method: m[1].toUpperCase(), path, params: [], responses: [], hijack: false };
      ops.push(op);
      section = '';
      continue;
    }
    if (!op) continue;
    if ((m = /^ {6}(\w+):/.exec(line))) { section = m[1]; param = undefined; continue; }
    if (section === 'parameters') {
      if ((m = /^ {8}- name:\s*(.+)$/.exec(line))) { param = { name: unq(m[1]), in: '' }; op.params.push(param); continue; }
      if (param && (m = /^ {10}in:\s*(.+)$/.exec(line))) param.in = unq(m[1]);
      else if (param && (m = /^ {10}type:\s*(.+)$/.exec(line))) param.type = unq(m[1]);
      else if (param && (m = /^ {10}enum:\s*\[(.*)\]\s*$/.exec(line))) param.enum = m[1].split(',').map(unq);
    } else if (section === 'responses') {
      if ((m = /^ {8}(\d{3}):/.exec(line))) {
        op.responses.push(Number(m[1]));
        if (m[1] === '101') op.hijack = true;
      }
    }
  }
  return ops;
}
