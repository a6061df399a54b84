/**
 * `--format` handling shared by ps/images/inspect/events/version/info: `table ...` templates,
 * `json`, and plain Go templates rendered by src/cli/template (loaded only when needed).
 */
import { tabwrite } from './table.js';

type Render = (tmpl: string, data: unknown) => string;
let render: Render | undefined;

/** The template engine (src/cli/template), imported on first use. */
export async function loadRenderer(): Promise<Render> {
  if (!render) {
    const mod = (await import('../template/index.js')) as { renderTemplate: Render };
    render = mod.renderTemplate;
  }
  return render;
}

/** Go's json.Marshal escaping of <, > and &. */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Go template text uses `\t` / `\n` escapes in flags (docker unescapes them before parsing). */
function unescape(t: string): string {
  return t.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

export interface FormatSpec<T> {
  /** headers of the fields usable in a table template, e.g. {ID: "CONTAINER ID"} */
  headers: Record<string, string>;
  /** the value a template sees for one row */
  context: (row: T) => Record<string, unknown>;
}

/**
 * Renders rows with a user format: "json" (one JSON object a line), "table <tmpl>" (header + rows
 * aligned by tabwriter), or a raw template (one line per row).
 */
export async function renderRows<T>(format: string, rows: readonly T[], spec: FormatSpec<T>): Promise<string> {
  if (format === 'json') return rows.map((r) => `${goJson(jsonContext(spec.context(r)))}\n`).join('');
  const isTable = format.startsWith('table');
  const tmpl = unescape(isTable ? format.slice('table'.length).trimStart() : format);
  const r = await loadRenderer();
  let out = '';
  if (isTable) out += `${r(tmpl, spec.headers)}\n`;
  for (const row of rows) out += `${r(tmpl, spec.context(row))}\n`;
  return isTable ? tabwrite(out) : out;
}

/** For `--format json`: only the plain values, no helper functions. */
function jsonContext(ctx: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(ctx).sort()) if (typeof ctx[k] !== 'function') out[k] = ctx[k];
  return out;
}
