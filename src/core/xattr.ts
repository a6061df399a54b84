/**
 * Extended attributes through @napi-rs/xattr, loaded on first use: the native addon costs the daemon
 * about 5 MB of memory, and most daemons never need it (opaque directories, copy-up of xattrs, diff).
 */
type Xattr = typeof import('@napi-rs/xattr');

let mod: Promise<Xattr> | undefined;
const load = (): Promise<Xattr> => (mod ??= import('@napi-rs/xattr'));

export async function getAttribute(path: string, name: string): Promise<Buffer | null> {
  return (await load()).getAttribute(path, name);
}

export async function setAttribute(path: string, name: string, value: string | Buffer): Promise<void> {
  return (await load()).setAttribute(path, name, value);
}

export async function listAttributes(path: string): Promise<string[]> {
  return (await load()).listAttributes(path);
}
