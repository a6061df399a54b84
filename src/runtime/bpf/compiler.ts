/**
 * Seccomp filters compiled once per distinct profile: berth-seccomp-bpf (libseccomp) turns a profile into
 * the raw BPF program crun accepts in its `run.oci.seccomp_bpf_data` annotation, and the result is kept by
 * the SHA-256 of the profile's directives, so a daemon compiles Docker's default profile once, not once per
 * container (about 20 ms each with three architectures). Concurrent requests for one profile share one
 * compilation; a failed compilation is not cached.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { internal } from '../../core/errors.js';
import type { OciSeccomp } from '../oci/types.js';
import { profileDirectives } from './directives.js';

export class SeccompCompiler {
  private readonly cache = new Map<string, Promise<Buffer>>();
  /** how many profiles were compiled (not served from the cache) */
  compiled = 0;

  constructor(private readonly helper: string) {}

  /** the filter for a profile, as raw BPF (8 bytes per instruction) */
  async bpf(profile: OciSeccomp): Promise<Buffer> {
    const text = profileDirectives(profile);
    const key = createHash('sha256').update(text).digest('hex');
    let p = this.cache.get(key);
    if (!p) {
      p = this.compile(text);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  private compile(text: string): Promise<Buffer> {
    this.compiled++;
    return new Promise((resolve, reject) => {
      const child = execFile(this.helper, [], { encoding: 'buffer', maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        if (err) reject(internal(`compiling the seccomp profile: ${stderr.toString().trim() || err.message}`));
        else if (stdout.length === 0 || stdout.length % 8 !== 0) reject(internal(`compiling the seccomp profile: ${stdout.length} bytes of BPF`));
        else resolve(stdout);
      });
      child.stdin!.end(text);
    });
  }
}
