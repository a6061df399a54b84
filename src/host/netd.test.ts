import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnswer, requestFields } from './netd.js';

test('berth-netd requests are NUL-separated fields, ops in order with their arguments', () => {
  assert.deepEqual(requestFields([
    { op: 'veth', name: 'vethx', mtu: 1500, peer: 'eth0', peerMac: '02:42:0a:00:00:02', peerMtu: 1450, peerPid: 9, master: 'br0' },
    { op: 'ns', pid: 9 },
    { op: 'addr', dev: 'eth0', cidr: '10.0.0.2/24' },
    { op: 'nft', script: 'table ip t {}\n' },
  ]), ['x', '4', 'veth', 'vethx', '1500', 'eth0', '02:42:0a:00:00:02', '1450', '9', 'br0', 'ns', '9', 'addr', 'eth0', '10.0.0.2/24', 'nft', 'table ip t {}\n']);
});

test('berth-netd answers: 0, or the failed op, its errno and the message with newlines restored', () => {
  assert.deepEqual(parseAnswer('0'), { ok: true });
  assert.deepEqual(parseAnswer('0 17 link add vethx type veth: File exists'), { ok: false, index: 0, errno: 17, message: 'link add vethx type veth: File exists' });
  assert.deepEqual(parseAnswer('3 0 Error: syntax error\\nbogus\\n^^ \\\\ end'), { ok: false, index: 3, errno: 0, message: 'Error: syntax error\nbogus\n^^ \\ end' });
  assert.equal((parseAnswer('garbage') as { index: number }).index, -1);
});
