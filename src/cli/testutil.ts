/** Runs the berth CLI in-process against a socket (a fake daemon in CLI unit tests); captures its output. */
import { PassThrough } from 'node:stream';
import { main } from './main.js';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let buf = '';
  const stream = { write: (d: string | Buffer, cb?: () => void) => ((buf += d.toString()), cb?.(), true), isTTY: false } as unknown as NodeJS.WriteStream;
  return { stream, text: () => buf };
}

export async function runCli(sock: string, args: string[], input = ''): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const stdin = new PassThrough();
  stdin.end(input);
  const status = await main(args, { stdin: stdin as unknown as NodeJS.ReadStream, stdout: out.stream, stderr: err.stream, env: { BERTH_HOST: `unix://${sock}` } });
  return { status, stdout: out.text(), stderr: err.text() };
}
