import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs, DEFAULT_CONFIG_FILE } from './flags.js';

describe('berthd flags', () => {
  it("takes dockerd's flag names, long and short, with repeatable hosts", () => {
    const r = parseDaemonArgs(['-H', 'unix:///a.sock', '--host=unix:///b.sock', '--data-root', '/d', '--exec-root=/e', '-p', '/p.pid',
      '-l', 'debug', '-b', 'br0', '--bip', '10.1.0.1/24', '--userns-remap', 'default']);
    assert.equal(r.kind, 'run');
    if (r.kind !== 'run') return;
    assert.deepEqual(r.flags, { host: ['unix:///a.sock', 'unix:///b.sock'], dataRoot: '/d', execRoot: '/e', pidfile: '/p.pid', logLevel: 'debug', bridge: 'br0', bip: '10.1.0.1/24', usernsRemap: 'default' });
    assert.equal(r.configFile, DEFAULT_CONFIG_FILE);
    assert.equal(r.configFileGiven, false);
  });

  it('tells a given config file from the default one', () => {
    const r = parseDaemonArgs(['--config-file', '/x/daemon.json']);
    assert.ok(r.kind === 'run' && r.configFile === '/x/daemon.json' && r.configFileGiven);
  });

  it('answers --help and --version', () => {
    assert.equal(parseDaemonArgs(['--help']).kind, 'help');
    assert.equal(parseDaemonArgs(['-v']).kind, 'version');
  });

  it('refuses unknown flags, missing values and stray arguments', () => {
    assert.throws(() => parseDaemonArgs(['--no-such-flag']), /Unknown option '--no-such-flag'[\s\S]*berthd --help/);
    assert.throws(() => parseDaemonArgs(['--data-root']), /--data-root/);
    assert.throws(() => parseDaemonArgs(['start']), /takes no arguments/);
  });
});
