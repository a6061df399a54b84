/**
 * docker-py's own integration tests against a fresh berthd, run by hand as root after `npm run build`:
 *   node dist/bench/docker-py.js --suite DIR [-- pytest args]
 * DIR is a checkout of docker/docker-py (e.g. its 7.2.0 tag, which needs python3-paramiko for its
 * helpers); its code is never copied into Berth. The daemon gets busybox, tagged as the suite's
 * TEST_IMG (alpine:3.10) and as alpine:latest. Swarm, service, node, secret, config and plugin tests are left out; tests that
 * pull from Docker Hub fail here by design (the test daemon cannot reach it). Prints pytest's summary
 * and writes its JUnit XML to DIR/berth-junit.xml.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TestDaemon } from '../test/harness.js';
import { opt, usage } from './args.js';

usage('node dist/bench/docker-py.js --suite DIR [-- extra pytest args]');
const suite = opt('--suite');
if (!suite) {
  console.error('--suite DIR (a docker-py checkout) is required');
  process.exit(2);
}
const dd = process.argv.indexOf('--');
const extra = dd >= 0 ? process.argv.slice(dd + 1) : [];

const LEFT_OUT = ['api_swarm_test.py', 'api_plugin_test.py', 'api_service_test.py', 'api_secret_test.py', 'api_config_test.py',
  'models_swarm_test.py', 'models_nodes_test.py', 'models_services_test.py'];

// Docker's defaults: no daemon-wide log-opts (the test harness sets some to keep test logs small; docker-py's
// log config tests expect a container's LogConfig.Config to be only what it asked for)
const d = await TestDaemon.create({ 'log-opts': {} });
let code = 1;
try {
  await d.importBusybox();
  // the suite's TEST_IMG, and the image its model tests run (they would pull it from Docker Hub otherwise)
  for (const t of ['alpine:3.10', 'alpine:latest']) await d.dockerOk(['tag', 'busybox:latest', t]);
  const args = ['-m', 'pytest', '-p', 'no:cacheprovider', '-q', `--junitxml=${path.join(suite, 'berth-junit.xml')}`,
    ...LEFT_OUT.map((f) => `--ignore=tests/integration/${f}`), ...(extra.length ? extra : ['tests/integration'])];
  const child = spawn('/usr/bin/python3', args, {
    cwd: suite, stdio: 'inherit',
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_TEST_API_VERSION: '1.41', DOCKER_CONFIG: path.join(d.dir, 'docker-config') },
  });
  code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
} finally {
  await d.stop();
}
process.exit(code);
