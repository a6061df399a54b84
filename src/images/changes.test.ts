import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyChanges, parseDuration, splitWords } from './changes.js';

describe('applyChanges', () => {
  it('applies JSON and shell forms of CMD and ENTRYPOINT', () => {
    assert.deepEqual(applyChanges({}, ['CMD ["sh"]']).Cmd, ['sh']);
    assert.deepEqual(applyChanges({}, ['cmd echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
    const c = applyChanges({ Cmd: ['old'] }, ['ENTRYPOINT ["/init"]']);
    assert.deepEqual(c.Entrypoint, ['/init']);
    assert.equal(c.Cmd, null);
    assert.deepEqual(applyChanges({}, ['CMD ["a"]', 'ENTRYPOINT /e']).Cmd, ['a']);
  });

  it('applies ENV, LABEL, EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL', () => {
    const c = applyChanges({ Env: ['PATH=/bin', 'A=1'] }, [
      'ENV A=2 B="two words" C=x\\ y',
      'ENV LEGACY some value',
      'LABEL a=b "c d"=e',
      'EXPOSE 80 53/udp 9000-9001',
      'VOLUME ["/data", "/logs"]',
      'VOLUME /cache',
      'WORKDIR /app',
      'WORKDIR sub/../src',
      'USER nobody:nogroup',
      'STOPSIGNAL SIGTERM',
    ]);
    assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=two words', 'C=x y', 'LEGACY=some value']);
    assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e' });
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp', '53/udp', '9000/tcp', '9001/tcp']);
    assert.deepEqual(Object.keys(c.Volumes ?? {}), ['/data', '/logs', '/cache']);
    assert.equal(c.WorkingDir, '/app/src');
    assert.equal(c.User, 'nobody:nogroup');
    assert.equal(c.StopSignal, 'SIGTERM');
  });

  it('parses HEALTHCHECK', () => {
    assert.deepEqual(applyChanges({}, ['HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost']).Healthcheck, {
      Interval: 5e9,
      Retries: 3,
      Test: ['CMD-SHELL', 'wget -q localhost'],
    });
    assert.deepEqual(applyChanges({}, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
    assert.equal(parseDuration('1m30s'), 90e9);
    assert.equal(parseDuration('500ms'), 5e8);
  });

  it('refuses other instructions as Docker does', () => {
    assert.throws(() => applyChanges({}, ['RUN echo']), { message: 'run is not a valid change command' });
    assert.throws(() => applyChanges({}, ['EXPOSE abc']), /invalid containerPort/);
  });

  it('does not modify its input', () => {
    const base = { Env: ['A=1'] };
    applyChanges(base, ['ENV A=2']);
    assert.deepEqual(base, { Env: ['A=1'] });
  });

  it('splits words', () => {
    assert.deepEqual(splitWords(` a "b c" 'd e' f\\ g ""`), ['a', 'b c', 'd e', 'f g', '']);
  });
});
