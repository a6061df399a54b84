import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkCreateRequest } from '../api/types.js';
import { isKind } from '../core/errors.js';
import { checkNetworkName, planDefaultBridge, planNetworkCreate, type CreateContext } from './create.js';
import type { NetworkRecord } from './record.js';

const blank = (name: string, driver: NetworkRecord['driver'] = 'bridge', more: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id: 'a1b2c3d4e5f6a7b8c9d0', name, created: '', driver, predefined: false, internal: false, attachable: false, enableIPv6: false,
  options: {}, labels: {}, ipamDriver: 'default', ipamOptions: {}, auxAddresses: {}, mtu: 1500, endpoints: {}, ...more,
});

const ctx = (o: Partial<CreateContext> = {}): CreateContext => ({
  existing: [], pools: [{ base: '10.50.0.0/16', size: 24 }], defaultBridge: 'docker0',
  hostRoutes: async () => [], interfaceExists: async (n) => n === 'eth0', ...o,
});

const plan = (req: Partial<NetworkCreateRequest>, c = ctx()) => {
  const rec = blank(req.Name ?? '', (req.Driver || 'bridge') as NetworkRecord['driver']);
  return planNetworkCreate({ Name: 'n1', ...req } as NetworkCreateRequest, rec, c).then((pool) => ({ rec, pool }));
};

const kind = (k: string, re: RegExp) => (e: unknown) => isKind(e, k as never) && re.test((e as Error).message);

describe('checkNetworkName', () => {
  it("takes Docker's names and refuses the rest", () => {
    checkNetworkName('front_end-1.a');
    assert.throws(() => checkNetworkName(''), /network name cannot be empty/);
    // moby accepts any non-empty name (docker-py's test_create_remove_network_with_space_in_name)
    checkNetworkName('test 01');
    checkNetworkName('-x');
    assert.throws(() => checkNetworkName('a\nb'), /invalid network name "a\\nb": control characters/);
    assert.throws(() => checkNetworkName(7), /network name cannot be empty/);
  });
});

describe('planNetworkCreate', () => {
  it('takes the first subnet of the pools that no route and no network uses, and its first host as gateway', async () => {
    const c = ctx({ hostRoutes: async () => ['10.50.0.0/24'], existing: [blank('other', 'bridge', { subnet: '10.50.1.0/24', bridge: 'br-x' })] });
    const { rec, pool } = await plan({ Labels: { a: 'b' }, Internal: true }, c);
    assert.equal(rec.subnet, '10.50.2.0/24');
    assert.equal(rec.gateway, '10.50.2.1');
    assert.equal(rec.bridge, 'br-a1b2c3d4e5f6');
    assert.deepEqual(rec.labels, { a: 'b' });
    assert.equal(rec.internal, true);
    assert.equal(pool.allocate(), '10.50.2.2');
  });

  it('keeps a given subnet, gateway, range and bridge name', async () => {
    const { rec } = await plan({ IPAM: { Config: [{ Subnet: '10.9.0.0/16', Gateway: '10.9.0.254', IPRange: '10.9.1.0/24' }] }, Options: { 'com.docker.network.bridge.name': 'brtest', 'com.docker.network.driver.mtu': '1400' } });
    assert.deepEqual([rec.subnet, rec.gateway, rec.ipRange, rec.bridge, rec.mtu], ['10.9.0.0/16', '10.9.0.254', '10.9.1.0/24', 'brtest', 1400]);
  });

  it("refuses what Docker refuses, with Docker's errors", async () => {
    const taken = ctx({ existing: [blank('used', 'bridge', { subnet: '10.9.0.0/16', bridge: 'brused' })] });
    await assert.rejects(plan({ Name: 'used' }, taken), kind('Conflict', /network with name used already exists/));
    await assert.rejects(plan({ IPAM: { Config: [{ Subnet: '10.9.3.0/24' }] } }, taken), kind('Forbidden', /Pool overlaps with other one/));
    await assert.rejects(plan({ Options: { 'com.docker.network.bridge.name': 'brused' } }, taken), kind('Conflict', /bridge name brused is already in use/));
    await assert.rejects(plan({ Options: { 'com.docker.network.bridge.name': 'docker0' } }), kind('Conflict', /already in use/));
    await assert.rejects(plan({ Options: { 'com.docker.network.bridge.name': 'a-very-long-bridge' } }), kind('InvalidArgument', /longer than 15/));
    await assert.rejects(plan({ Driver: 'host' }), kind('Forbidden', /only one instance of "host"/));
    await assert.rejects(plan({ Driver: 'overlay' }), kind('NotFound', /plugin "overlay" not found/));
    await assert.rejects(plan({ IPAM: { Driver: 'dhcp' } }), kind('NotFound', /plugin "dhcp" not found/));
    await assert.rejects(plan({ Options: { 'com.docker.network.driver.mtu': '20' } }), kind('InvalidArgument', /invalid MTU: 20/));
    await assert.rejects(plan({ IPAM: { Config: [{ Gateway: '10.1.0.1' }] } }), kind('InvalidArgument', /needs a subnet/));
    await assert.rejects(plan({ IPAM: { Config: [{ Subnet: '10.1.0.0/24' }, { Subnet: '10.2.0.0/24' }] } }), kind('InvalidArgument', /one IPv4 subnet/));
    await assert.rejects(plan({ IPAM: { Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.2.0.1' }] } }), (e) => isKind(e, 'InvalidArgument'));
  });

  it('needs an existing parent and a known mode for macvlan', async () => {
    const { rec } = await plan({ Driver: 'macvlan', Options: { parent: 'eth0' }, IPAM: { Config: [{ Subnet: '10.7.0.0/24' }] } });
    assert.equal(rec.parent, 'eth0');
    assert.equal(rec.bridge, undefined);
    await assert.rejects(plan({ Driver: 'macvlan' }), /-o parent=<interface> is required/);
    await assert.rejects(plan({ Driver: 'macvlan', Options: { parent: 'nope0' } }), /parent interface was not found on the host: nope0/);
    await assert.rejects(plan({ Driver: 'macvlan', Options: { parent: 'eth0', macvlan_mode: 'x' } }), /macvlan mode 'x' is not valid/);
  });
});

describe('planDefaultBridge', () => {
  const base = { bridge: 'docker0', existing: [], pools: [{ base: '10.60.0.0/16', size: 24 }], bridgeAddress: async () => undefined, hostRoutes: async () => ['10.60.0.0/24'] };
  it('takes --bip, then the previous settings, then the interface, then a free pool subnet', async () => {
    assert.deepEqual(await planDefaultBridge({ ...base, bip: '10.70.0.1/16' }), { subnet: '10.70.0.0/16', gateway: '10.70.0.1' });
    const previous = blank('bridge', 'bridge', { subnet: '10.61.0.0/24', gateway: '10.61.0.1', bridge: 'docker0' });
    assert.deepEqual(await planDefaultBridge({ ...base, previous }), { subnet: '10.61.0.0/24', gateway: '10.61.0.1' });
    assert.deepEqual(await planDefaultBridge({ ...base, previous: { ...previous, bridge: 'other0' }, bridgeAddress: async () => '10.62.0.5/24' }), { subnet: '10.62.0.0/24', gateway: '10.62.0.5' });
    assert.deepEqual(await planDefaultBridge(base), { subnet: '10.60.1.0/24', gateway: '10.60.1.1' });
  });
});
