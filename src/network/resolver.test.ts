import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameResolver } from './resolver.js';
import type { EndpointRecord, NetworkRecord } from './record.js';

function net(name: string, predefined: boolean, eps: Partial<EndpointRecord>[]): NetworkRecord {
  const endpoints: Record<string, EndpointRecord> = {};
  for (const e of eps) {
    endpoints[e.containerId!] = { endpointId: 'e', name: e.name!, ifname: 'eth0', hostIface: '', mac: '', aliases: [], links: [], dnsNames: [e.name!, ...(e.aliases ?? [])], ip: '', ...e } as EndpointRecord;
  }
  return {
    id: `${name}-id`, name, created: '', driver: 'bridge', predefined, internal: false, attachable: false, enableIPv6: false, options: {}, labels: {},
    ipamDriver: 'default', ipamOptions: {}, auxAddresses: {}, mtu: 1500, endpoints,
  };
}

test('names resolve on shared user networks only, with aliases, links and name.network', () => {
  const nets = [
    net('bridge', true, [{ containerId: 'a', name: 'a', ip: '172.17.0.2' }, { containerId: 'x', name: 'x', ip: '172.17.0.3' }]),
    net('appnet', false, [
      { containerId: 'a', name: 'a', ip: '10.1.0.2' },
      { containerId: 'db', name: 'db', ip: '10.1.0.3', aliases: ['api'] },
      { containerId: 'db2', name: 'db2', ip: '10.1.0.4', aliases: ['api'], links: ['db:database'] },
    ]),
    net('other', false, [{ containerId: 'o', name: 'o', ip: '10.2.0.2' }, { containerId: 'db', name: 'db', ip: '10.2.0.3' }]),
  ];
  const r = new NameResolver({ networks: () => nets, upstreams: (c) => (c ? [`up-${c}`] : []) });
  assert.deepEqual(r.lookupA('10.1.0.2', 'db'), { addresses: ['10.1.0.3'] });
  assert.deepEqual(r.lookupA('10.1.0.2', 'DB.appnet.'), { addresses: ['10.1.0.3'] });
  assert.deepEqual(r.lookupA('10.1.0.2', 'api'), { addresses: ['10.1.0.3', '10.1.0.4'] });
  assert.equal(r.lookupA('10.1.0.2', 'o'), undefined, 'not on a shared network');
  assert.equal(r.lookupA('10.1.0.2', 'x'), undefined, 'the default bridge has no names');
  assert.equal(r.lookupA('172.17.0.3', 'a'), undefined, 'a default-bridge client gets no embedded names');
  assert.deepEqual(r.lookupA('10.1.0.4', 'database'), { addresses: ['10.1.0.3'] });
  assert.deepEqual(r.lookupA('10.2.0.2', 'db'), { addresses: ['10.2.0.3'] }, 'the address on the shared network');
  assert.deepEqual(r.lookupPTR('10.1.0.2', '10.1.0.3'), { ptr: ['db.appnet'] });
  assert.deepEqual(r.upstreams('10.1.0.2'), ['up-a']);
  assert.deepEqual(r.upstreams('192.0.2.9'), []);
});
