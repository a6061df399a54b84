import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMountInfo } from './mountinfo.js';

describe('parseMountInfo', () => {
  it('parses fields, optional tags and octal escapes', () => {
    const text = [
      '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '95 22 0:45 / /var/lib/berth/overlay/containers/abc/merged rw,relatime shared:50 master:2 - overlay overlay rw,lowerdir=a/diff,upperdir=../containers/abc/upper',
      '96 22 0:46 / /tmp/with\\040space rw - tmpfs tmpfs rw',
      'garbage',
      '',
    ].join('\n');
    const m = parseMountInfo(text);
    assert.equal(m.length, 3);
    assert.deepEqual(m[0], { mountPoint: '/', options: 'rw,relatime', fsType: 'ext4', source: '/dev/vda', superOptions: 'rw', optional: ['shared:1'] });
    assert.deepEqual(m[1]!.optional, ['shared:50', 'master:2']);
    assert.deepEqual(m[2]!.optional, []);
    assert.equal(m[1]!.fsType, 'overlay');
    assert.equal(m[1]!.mountPoint, '/var/lib/berth/overlay/containers/abc/merged');
    assert.match(m[1]!.superOptions, /^rw,lowerdir=/);
    assert.equal(m[2]!.mountPoint, '/tmp/with space');
  });
});
