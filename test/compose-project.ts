/**
 * Helpers of the compose integration tests: a project directory with its files, and `berth compose`,
 * `docker compose` (the plugin) and docker-compose v1 run in it against a test daemon.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BERTH_CLI, type ExecResult, type TestDaemon } from './harness.js';

export class ComposeProject {
  readonly dir: string;
  constructor(readonly d: TestDaemon, readonly name: string, files: Record<string, string>) {
    this.dir = mkdtempSync(`/tmp/bt-compose-${name}-`);
    this.write(files);
  }

  write(files: Record<string, string>): void {
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(this.dir, f)), { recursive: true });
      writeFileSync(path.join(this.dir, f), text);
    }
  }

  private run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeout = 120000): Promise<ExecResult> {
    return new Promise((resolve) => {
      const child = execFile(cmd, args, { cwd: this.dir, env, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : child.exitCode ?? 1) : 0;
        resolve({ code, stdout, stderr });
      });
      child.stdin?.end();
    });
  }

  /** `berth compose -p <name> ARGS` in the project directory. */
  compose(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ExecResult> {
    return this.run(process.execPath, [BERTH_CLI, 'compose', '-p', this.name, ...args], { ...process.env, DOCKER_HOST: this.d.host, BERTH_HOST: this.d.host, COMPOSE_PARALLEL_LIMIT: '', ...env });
  }

  async composeOk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const r = await this.compose(args, env);
    if (r.code !== 0) throw new Error(`berth compose ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /** The docker CLI (v28) in the project directory; `docker compose` goes to the installed plugin. */
  docker(args: string[], dockerConfig: string): Promise<ExecResult> {
    return this.run('/usr/local/bin/docker', args, { ...process.env, DOCKER_HOST: this.d.host, DOCKER_CONFIG: dockerConfig });
  }

  /** Debian's docker-compose 1.29.2. */
  v1(args: string[]): Promise<ExecResult> {
    return this.run('/usr/bin/docker-compose', ['-p', this.name, ...args], { ...process.env, DOCKER_HOST: this.d.host, COMPOSE_INTERACTIVE_NO_CLI: '1' }, 180000);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Inspect of a container by name, through the daemon's API. */
export async function inspect(d: TestDaemon, name: string): Promise<any> {
  const r = await d.request('GET', `/containers/${name}/json`);
  if (r.status !== 200) throw new Error(`inspect ${name}: ${r.status} ${r.body}`);
  return r.json();
}

/** Names of all containers, networks (not the predefined ones) and volumes the daemon has. */
export async function inventory(d: TestDaemon): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const c = (await d.request('GET', '/containers/json?all=1')).json() as { Names: string[] }[];
  const n = (await d.request('GET', '/networks')).json() as { Name: string }[];
  const v = (await d.request('GET', '/volumes')).json() as { Volumes: { Name: string }[] | null };
  return {
    containers: c.map((x) => x.Names[0]!.slice(1)).sort(),
    networks: n.map((x) => x.Name).filter((x) => !['bridge', 'host', 'none'].includes(x)).sort(),
    volumes: (v.Volumes ?? []).map((x) => x.Name).sort(),
  };
}
