/**
 * HTTP Basic authentication against an htpasswd file of bcrypt entries (`user:$2y$...`, as written by
 * `htpasswd -B`; distribution accepts only bcrypt too). The file is re-read when it changes. Successful
 * verifications are cached for a short while: bcrypt is deliberately slow, and a client sends the same
 * credentials with every request of a push.
 */
import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';

export const REALM = 'Berth Registry';
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 1024;
const RELOAD_CHECK_MS = 2_000;

export class Htpasswd {
  private users = new Map<string, string>();
  private mtimeMs = -1;
  private checkedAt = 0;
  private readonly cache = new Map<string, number>();

  private constructor(
    readonly file: string,
    private readonly log: (msg: string) => void,
  ) {}

  static async load(file: string, log: (msg: string) => void = () => {}): Promise<Htpasswd> {
    const h = new Htpasswd(file, log);
    await h.reload(true);
    return h;
  }

  /** Number of usable entries. */
  get size(): number {
    return this.users.size;
  }

  /** The user an `Authorization` header authenticates, or undefined. */
  async verify(authorization: string | undefined): Promise<string | undefined> {
    const creds = parseBasic(authorization);
    if (!creds) return undefined;
    await this.reload(false);
    const hash = this.users.get(creds.user);
    if (!hash) return undefined;
    const key = createHash('sha256').update(`${creds.user}\0${creds.password}\0${hash}`).digest('hex');
    const until = this.cache.get(key);
    if (until !== undefined && until > Date.now()) return creds.user;
    if (!(await bcrypt.compare(creds.password, hash))) return undefined;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, Date.now() + CACHE_TTL_MS);
    return creds.user;
  }

  private async reload(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.checkedAt < RELOAD_CHECK_MS) return;
    this.checkedAt = now;
    try {
      const st = await fs.stat(this.file);
      if (!force && st.mtimeMs === this.mtimeMs) return;
      this.users = parseHtpasswd(await fs.readFile(this.file, 'utf8'), this.log);
      this.mtimeMs = st.mtimeMs;
      this.cache.clear();
    } catch (err) {
      if (force) throw err;
      // keep serving with the entries read last (an editor may be replacing the file)
      this.log(`htpasswd: cannot re-read ${this.file}: ${(err as Error).message}`);
    }
  }
}

/** `user:hash` lines; entries that are not bcrypt are skipped (with a log line). */
export function parseHtpasswd(text: string, log: (msg: string) => void = () => {}): Map<string, string> {
  const users = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const user = line.slice(0, i);
    const hash = line.slice(i + 1);
    if (!/^\$2[abxy]\$\d\d\$/.test(hash)) {
      log(`htpasswd: entry for ${user} is not bcrypt, ignored`);
      continue;
    }
    users.set(user, hash);
  }
  return users;
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}
