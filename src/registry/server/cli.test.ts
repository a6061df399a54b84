import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pushBlob, request, startRegistry } from './testclient.js';

const cliJs = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.js');

describe('registry CLI commands', () => {
  it('serve listens, prints its address and stops cleanly on SIGTERM', async (t) => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-regsrv-cli-'));
    t.after(() => fs.rm(root, { recursive: true, force: true }));
    const script = `const { serveCommand } = await import(${JSON.stringify(cliJs)});
      await serveCommand({ addr: '127.0.0.1:0', root: ${JSON.stringify(root)} });
      process.stdout.write('stopped\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    for (let i = 0; i < 200 && !/listening on/.test(out); i++) await new Promise((r) => setTimeout(r, 20));
    const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
    assert.ok(m, `output: ${out}`);
    assert.equal((await request(m[1], 'GET', '/v2/')).status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /stopped/);
  });

  it('gc prints what it removes', async (t) => {
    const reg = await startRegistry(t);
    const digest = await pushBlob(reg.base, 'lone', 'garbage');
    await reg.server.close();
    const run = (dryRun: boolean) =>
      promisify(execFile)(process.execPath, [
        '--input-type=module',
        '-e',
        `const { gcCommand } = await import(${JSON.stringify(cliJs)});
         await gcCommand({ root: ${JSON.stringify(reg.root)}, dryRun: ${dryRun}, gracePeriodMs: 0 });`,
      ]);
    const dry = await run(true);
    assert.match(dry.stdout, new RegExp(`^would remove ${digest}$`, 'm'));
    assert.match(dry.stdout, /would free 7B \(1 blobs\)/);
    const real = await run(false);
    assert.match(real.stdout, new RegExp(`^removed ${digest}$`, 'm'));
    assert.match(real.stdout, /removed empty repository lone/);
    assert.deepEqual(await fs.readdir(path.join(reg.root, 'blobs', 'sha256')), []);
  });
});
