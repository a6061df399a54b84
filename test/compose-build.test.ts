/**
 * `build:` in a Compose project against berthd: `berth compose build` sends the context as `berth build`
 * does (client/buildcontext.ts: `.dockerignore` with Docker's semantics, a re-inclusion with `!`, the
 * Dockerfile always sent, and a delta against the copy berthd kept), `dockerfile_inline` and build args
 * reach the build, and a changed source file is in the next image.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { busyboxDaemon } from './harness.js';
import { ComposeProject } from './compose-project.js';

const t = busyboxDaemon();
const projects: ComposeProject[] = [];
after(async () => {
  for (const p of projects) {
    await p.compose(['down', '--rmi', 'all', '-t', '0']);
    p.remove();
  }
});

const COMPOSE = `
services:
  app:
    build:
      context: ./app
      args: {FLAVOUR: plain}
  inline:
    build:
      context: ./app
      dockerfile_inline: |
        FROM busybox
        COPY conf/ /conf/
`;

test('compose build: the context with .dockerignore, build args, an inline Dockerfile; a change is in the next build', async () => {
  const p = new ComposeProject(t.d, 'cbuild', {
    'compose.yaml': COMPOSE,
    'app/Dockerfile': 'FROM busybox\nARG FLAVOUR\nCOPY . /src/\nRUN echo "$FLAVOUR" > /flavour\n',
    'app/.dockerignore': 'secrets/\n*.log\n!keep.log\nDockerfile\n',
    'app/main.sh': 'echo one\n',
    'app/conf/a.conf': 'a=1\n',
    'app/secrets/key': 'do not send\n',
    'app/debug.log': 'no\n',
    'app/keep.log': 'yes\n',
  });
  projects.push(p);
  await sleep(2100); // the files settle: the next build can be a delta
  await p.composeOk(['build']);
  const list = async (image: string, cmd: string) => t.d.dockerOk(['run', '--rm', image, 'sh', '-c', cmd]);
  assert.equal(await list('cbuild-app', 'cd /src && find . -type f | sort; cat /flavour'),
    ['./.dockerignore', './conf/a.conf', './keep.log', './main.sh', 'plain'].join('\n'));
  assert.equal(await list('cbuild-inline', 'cat /conf/a.conf'), 'a=1');

  p.write({ 'app/main.sh': 'echo two\n', 'app/conf/b.conf': 'b=2\n' });
  await p.composeOk(['build']);
  assert.equal(await list('cbuild-app', 'cat /src/main.sh; ls /src/conf'), 'echo two\na.conf\nb.conf');
  assert.equal(await list('cbuild-inline', 'ls /conf'), 'a.conf\nb.conf');
});
