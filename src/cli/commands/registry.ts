/** pull, push, login, logout: the commands that talk to registries through the daemon. */
import { createInterface } from 'node:readline';
import { parseNormalizedNamed, refString, withDefaultTag } from '../../core/reference.js';
import { clientOf, write, type Ctx } from '../context.js';
import { authKey, configPath, encodedAuthFor, readConfig, serverDomain, writeConfig } from '../dockerconfig.js';
import { CliError } from '../program.js';
import { displayMessages } from './images.js';

function parseRef(s: string) {
  try {
    return parseNormalizedNamed(s);
  } catch (e) {
    throw new CliError(1, `${(e as Error).message}`);
  }
}

async function authFor(ctx: Ctx, domain: string): Promise<string | undefined> {
  return encodedAuthFor(await readConfig(configPath(ctx.env)), domain);
}

/** `name` without tag/digest and the tag or digest, as the docker CLI sends them to /images/create. */
function splitForApi(s: string, allTags: boolean): { name: string; tag: string } {
  const r = parseRef(s);
  const name = s.replace(/@.*$/, '').replace(/:[^:/]+$/, '');
  if (allTags) {
    if (r.tag !== undefined || r.digest !== undefined) throw new CliError(1, 'tag can\'t be used with --all-tags/-a');
    return { name, tag: '' };
  }
  return { name, tag: r.digest ?? r.tag ?? 'latest' };
}

export async function pull(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const allTags = opts.allTags === true;
  const ref = parseRef(args[0]!);
  const { name, tag } = splitForApi(args[0]!, allTags);
  const client = await clientOf(ctx);
  const msgs = await client.images.pull(name, { tag, platform: opts.platform as string | undefined, auth: await authFor(ctx, ref.domain) });
  await displayMessages(ctx, msgs, opts.quiet === true);
  if (!allTags) await write(ctx.stdout, `${refString(withDefaultTag(ref))}\n`);
  return 0;
}

export async function push(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const allTags = opts.allTags === true;
  const ref = parseRef(args[0]!);
  if (ref.digest !== undefined) throw new CliError(1, 'cannot push a digest reference');
  if (allTags && ref.tag !== undefined) throw new CliError(1, 'tag can\'t be used with --all-tags/-a');
  const name = args[0]!.replace(/:[^:/]+$/, '');
  const client = await clientOf(ctx);
  const msgs = await client.images.push(name, { tag: allTags ? '' : ref.tag ?? 'latest', auth: await authFor(ctx, ref.domain) });
  if (allTags) await write(ctx.stdout, `The push refers to repository [${ref.domain}/${ref.path}]\n`);
  await displayMessages(ctx, msgs, opts.quiet === true);
  if (opts.quiet === true) await write(ctx.stdout, `${args[0]}\n`);
  return 0;
}

async function readStdin(ctx: Ctx): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function prompt(ctx: Ctx, question: string, hidden: boolean): Promise<string> {
  if (!ctx.stdin.isTTY) throw new CliError(1, 'Error: Cannot perform an interactive login from a non TTY device');
  await write(ctx.stdout, question);
  if (hidden) ctx.stdin.setRawMode?.(true);
  try {
    if (!hidden) {
      const rl = createInterface({ input: ctx.stdin, terminal: false });
      const answer = await new Promise<string>((resolve) => rl.once('line', resolve));
      rl.close();
      return answer;
    }
    let s = '';
    for await (const c of ctx.stdin) {
      for (const ch of (c as Buffer).toString('utf8')) {
        if (ch === '\r' || ch === '\n') return s;
        if (ch === '\u0003') throw new CliError(130, '');
        if (ch === '\u007f') s = s.slice(0, -1);
        else s += ch;
      }
    }
    return s;
  } finally {
    if (hidden) {
      ctx.stdin.setRawMode?.(false);
      await write(ctx.stdout, '\n');
    }
  }
}

export async function login(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const domain = serverDomain(args[0]);
  const key = authKey(domain);
  let username = opts.username as string | undefined;
  let password = opts.password as string | undefined;
  if (opts.passwordStdin === true) {
    if (password !== undefined) throw new CliError(1, '--password and --password-stdin are mutually exclusive');
    if (!username) throw new CliError(1, 'Must provide --username with --password-stdin');
    password = await readStdin(ctx);
  }
  if (password !== undefined && opts.passwordStdin !== true) {
    await write(ctx.stderr, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  const file = configPath(ctx.env);
  const cfg = await readConfig(file);
  if (!username) username = (await prompt(ctx, `Username: `, false)).trim();
  if (!username) throw new CliError(1, 'Error: Non-null Username Required');
  if (password === undefined) password = await prompt(ctx, 'Password: ', true);
  if (!password) throw new CliError(1, 'Error: Non-null Password Required');
  const client = await clientOf(ctx);
  const res = await client.login({ username, password, serveraddress: key });
  cfg.auths ??= {};
  cfg.auths[key] = res.IdentityToken ? { auth: '', identitytoken: res.IdentityToken } : { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  await writeConfig(file, cfg);
  await write(ctx.stderr, `WARNING! Your credentials are stored unencrypted in '${file}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
  await write(ctx.stdout, `${res.Status || 'Login Succeeded'}\n`);
  return 0;
}

export async function logout(ctx: Ctx, args: string[]): Promise<number> {
  const domain = serverDomain(args[0]);
  const key = authKey(domain);
  const file = configPath(ctx.env);
  const cfg = await readConfig(file);
  const keys = Object.keys(cfg.auths ?? {}).filter((k) => k === key || serverDomain(k) === domain);
  if (keys.length === 0) {
    await write(ctx.stdout, `Not logged in to ${key}\n`);
    return 0;
  }
  await write(ctx.stdout, `Removing login credentials for ${key}\n`);
  for (const k of keys) delete cfg.auths![k];
  await writeConfig(file, cfg);
  return 0;
}
