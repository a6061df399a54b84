import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError, notFound } from '../../core/errors.js';
import { httpStatus } from '../../server/status.js';
import { inContainerTerms, scrubHostPaths } from './errors.js';

const sysErr = (code: string, msg: string) => Object.assign(new Error(msg), { code });

test('system errors of a copy become 4xx in container terms, with no daemon-internal path', () => {
  const cases: [string, number][] = [['ENOENT', 409], ['ELOOP', 409], ['ENOTDIR', 409], ['EEXIST', 409], ['EACCES', 403], ['EROFS', 400], ['ENOSPC', 500], ['EIO', 500]];
  for (const [code, status] of cases) {
    const e = inContainerTerms(sysErr(code, `${code}: something, open '/proc/4926/fd/29/w'`), '/w');
    assert.ok(e instanceof BerthError);
    assert.equal(httpStatus(e), status, code);
    assert.ok(!e.message.includes('/proc/'), e.message);
    assert.match(e.message, /"\/w"/);
  }
});

test('a BerthError keeps its kind; host paths in its message are replaced', () => {
  const nf = notFound('no such file or directory: /etc/x');
  assert.equal(inContainerTerms(nf, '/etc/x'), nf);
  const e = inContainerTerms(new BerthError('InvalidArgument', 'bad entry at /proc/12/fd/3/a/b, stop'), '/dst') as BerthError;
  assert.deepEqual([e.kind, e.message], ['InvalidArgument', 'bad entry at /dst, stop']);
  assert.equal(scrubHostPaths("open '/proc/1/root/etc'", '/etc'), "open '/etc'");
  const plain = new TypeError('not a system error');
  assert.equal(inContainerTerms(plain, '/x'), plain);
});
