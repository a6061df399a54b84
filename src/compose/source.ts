/**
 * A Compose file as read from disk: the YAML document (anchors, aliases and `<<` merge keys resolved),
 * its plain value, and a way back from a model path to the line it was written on.
 */
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isAlias, type Document, type Node, type ScalarTag } from 'yaml';
import { ComposeError, type ModelPath } from './errors.js';

export interface SourceFile {
  /** the path as the user named it (relative paths stay relative in messages) */
  file: string;
  /** the plain value (a mapping for a valid file) */
  data: Record<string, unknown>;
  /** the line (1-based) a model path was written on, or of its nearest ancestor that has one */
  lineOf(path: ModelPath): number | undefined;
}

/** Parses YAML text; invalid YAML is a ComposeError naming the file and the line. */
export function parseSource(file: string, text: string): SourceFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, merge: true, prettyErrors: false, uniqueKeys: true, strict: false, customTags: (tags) => [octalInt, ...tags] });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lc.linePos(e.pos[0]).line;
    throw new ComposeError(`invalid YAML: ${firstLine(e.message)}`, { file, line });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10000 });
  } catch (err) {
    throw new ComposeError(`invalid YAML: ${(err as Error).message}`, { file });
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ComposeError('top-level object must be a mapping', { file, line: 1 });
  return { file, data: data as Record<string, unknown>, lineOf: (p) => lineOf(doc, lc, p) };
}

/**
 * `0440` is octal, as Go's YAML parser (and so docker compose) reads it; YAML 1.2 alone would read 440.
 * File modes of secrets, configs and tmpfs mounts are written this way.
 */
const octalInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^[-+]?0[0-7]+$/,
  resolve: (s: string) => Number.parseInt(s, 8),
  stringify: ({ value }) => `0${Number(value).toString(8)}`,
};

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** Walks the document along the path; merge keys and aliases are followed. */
function lineOf(doc: Document, lc: LineCounter, p: ModelPath): number | undefined {
  let node: Node | null | undefined = doc.contents as Node | null;
  let best: number | undefined = node?.range ? lc.linePos(node.range[0]).line : undefined;
  for (const k of p) {
    node = deref(doc, node);
    if (!node) break;
    let next: Node | undefined;
    let keyNode: Node | undefined;
    if (isMap(node)) {
      const pair = findPair(doc, node, String(k));
      keyNode = pair?.key as Node | undefined;
      next = pair?.value as Node | undefined;
    } else if (isSeq(node) && typeof k === 'number') {
      next = node.items[k] as Node | undefined;
    }
    const r = (next && !isScalar(next) ? keyNode?.range : undefined) ?? next?.range ?? keyNode?.range;
    if (r) best = lc.linePos(r[0]).line;
    if (!next) break;
    node = next;
  }
  return best;
}

function deref(doc: Document, n: Node | null | undefined): Node | undefined {
  if (n && isAlias(n)) return (n.resolve(doc) as Node | undefined) ?? undefined;
  return n ?? undefined;
}

function findPair(doc: Document, map: Node, key: string): { key: unknown; value: unknown } | undefined {
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (k === key) return pair;
  }
  // merge keys: look in the merged mappings
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    if (k !== '<<') continue;
    const v = deref(doc, pair.value as Node);
    const sources = isSeq(v) ? v.items.map((i) => deref(doc, i as Node)) : [v];
    for (const s of sources) {
      const found = s ? findPair(doc, s, key) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}
