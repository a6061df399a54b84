import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attachOps, containerOps, detachOps, normalizeLink, parseLink, toolSteps } from './links.js';

describe('legacy links', () => {
  it("records --link as Docker does, and reads the record back", () => {
    assert.equal(normalizeLink('db'), '/db:/NAME/db');
    assert.equal(normalizeLink('/db:data'), '/db:/NAME/data');
    assert.deepEqual(parseLink('/db:/web/data'), ['db', 'data']);
    assert.deepEqual(parseLink(normalizeLink('db').replace('/NAME/', '/web/')), ['db', 'db']);
    assert.throws(() => normalizeLink(':x'), /invalid link format: :x/);
  });
});

describe('link ops', () => {
  it('plans a veth onto a bridge, then the container side in its namespace, and renders the same as ip -batch scripts', () => {
    const ops = [
      ...attachOps(4242, [{ kind: 'veth', hostIface: 'veth1234567', ifname: 'eth0', mac: '02:42:0a:00:00:02', mtu: 1500, bridge: 'br0' }]),
      ...containerOps(4242, [{ ifname: 'eth0', address: '10.0.0.2/24' }], { via: '10.0.0.1', dev: 'eth0' }, ['eth0']),
    ];
    assert.deepEqual(ops.map((o) => o.op), ['veth', 'ns', 'up', 'addr', 'up', 'route', 'sysctl']);
    assert.deepEqual(toolSteps(ops), [
      { ip: 'link add veth1234567 mtu 1500 type veth peer name eth0 address 02:42:0a:00:00:02 mtu 1500 netns 4242\nlink set dev veth1234567 master br0 up\n', sysctls: [] },
      {
        pid: 4242,
        ip: 'link set dev lo up\naddress add 10.0.0.2/24 dev eth0\nlink set dev eth0 up\nroute replace default via 10.0.0.1 dev eth0\n',
        sysctls: [{ path: 'net/ipv4/conf/eth0/route_localnet', value: '1' }],
      },
    ]);
  });

  it('plans macvlans into the namespace and detaches host ends; an nft op is not for this executor', () => {
    const ops = attachOps(7, [{ kind: 'macvlan', parent: 'eno1', ifname: 'eth1', mac: '02:42:0a:00:01:02', mtu: 1400, mode: 'bridge' }]);
    assert.deepEqual(toolSteps([...ops, ...detachOps(['vethabc'])]), [
      { ip: 'link add link eno1 name eth1 address 02:42:0a:00:01:02 mtu 1400 netns 7 type macvlan mode bridge\nlink del dev vethabc\n', sysctls: [] },
    ]);
    assert.throws(() => toolSteps([{ op: 'nft', script: 'x' }]), /firewall executor/);
  });
});
