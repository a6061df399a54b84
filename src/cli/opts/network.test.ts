/** network create/connect flags to bodies; expected bodies and errors are docker 28's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConnectEndpoint, buildNetworkCreate, createIPAMConfig, FlagError, mapOpts, parseCIDR, parseIP, splitCsv, subnetMatches, validateLabel, validateLink } from './network.js';

test('parseIP as Go net.ParseIP', () => {
  assert.deepEqual(parseIP('10.1.2.3')?.slice(10), [0xff, 0xff, 10, 1, 2, 3]);
  assert.deepEqual(parseIP('::ffff:10.1.2.3'), parseIP('10.1.2.3'));
  assert.deepEqual(parseIP('fd00::1')?.slice(0, 2), [0xfd, 0]);
  assert.equal(parseIP('fd00::1')?.[15], 1);
  assert.equal(parseIP('2001:db8:0:0:0:0:0:1')?.length, 16);
  for (const bad of ['', '10.1.2', '10.1.2.256', '010.1.2.3', '1::2::3', 'fe80::1%eth0', 'x', '1:2:3:4:5:6:7:8:9', '12345::']) assert.equal(parseIP(bad), null, bad);
});

test('parseCIDR and subnetMatches as docker/cli', () => {
  assert.deepEqual(parseCIDR('172.28.5.7/24').net, { ip: [172, 28, 5, 0], mask: [255, 255, 255, 0] });
  assert.deepEqual(parseCIDR('10.0.0.0/0').net.mask, [0, 0, 0, 0]);
  assert.throws(() => parseCIDR('10.0.0.0'), /^Error: invalid CIDR address: 10\.0\.0\.0$/);
  assert.throws(() => parseCIDR('10.0.0.0/33'), /invalid CIDR address: 10\.0\.0\.0\/33/);
  assert.throws(() => parseCIDR('10.0.0.0/x'), /invalid CIDR address/);
  assert.equal(subnetMatches('172.28.0.0/16', '172.28.5.254'), true);
  assert.equal(subnetMatches('172.28.0.0/16', '172.29.0.1'), false);
  assert.equal(subnetMatches('172.28.0.0/16', '172.28.5.0/24'), true);
  assert.equal(subnetMatches('172.28.5.0/24', '172.28.5.9/16'), true, 'the address of the CIDR, not its network');
  assert.equal(subnetMatches('172.28.5.0/24', '172.28.0.0/16'), false);
  assert.equal(subnetMatches('fd00::/64', 'fd00::1'), true);
  assert.equal(subnetMatches('fd00::/64', '10.0.0.1'), false);
  assert.equal(subnetMatches('10.0.0.0/8', 'nonsense'), false);
  assert.throws(() => subnetMatches('foo', '10.0.0.1'), /^Error: invalid subnet: invalid CIDR address: foo$/);
});

test('flag value helpers', () => {
  assert.deepEqual(splitCsv(['a,b', 'c', '', '"d,e",f']), ['a', 'b', 'c', 'd,e', 'f']);
  assert.deepEqual(splitCsv(undefined), []);
  assert.deepEqual(mapOpts(['a=1', 'b', 'c=x=y', 'a=2']), { a: '2', b: '', c: 'x=y' });
  assert.equal(validateLabel('com.example=1'), 'com.example=1');
  assert.equal(validateLabel('novalue'), 'novalue');
  assert.throws(() => validateLabel('=x'), /invalid label '=x': empty name/);
  assert.throws(() => validateLabel('a b=c'), /label 'a b' contains whitespaces/);
  assert.equal(validateLink('db:database'), 'db:database');
  assert.throws(() => validateLink('a:b:c'), /bad format for links: a:b:c/);
});

test('network create: docker 28 body for a bare create', () => {
  assert.equal(
    JSON.stringify(buildNetworkCreate('front', { driver: 'bridge', ipamDriver: 'default' })),
    '{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"front"}',
  );
});

test('network create: every flag', () => {
  const body = buildNetworkCreate('back', {
    driver: 'bridge',
    subnet: ['172.28.0.0/16', 'fd00:28::/64'],
    ipRange: ['172.28.5.0/24'],
    gateway: ['172.28.5.254,fd00:28::1'],
    auxAddress: ['host1=172.28.1.5', 'host2=fd00:28::5'],
    internal: true,
    attachable: true,
    ipv6: true,
    ipv4: false,
    opt: ['com.docker.network.bridge.name=br-back', 'com.docker.network.driver.mtu=1400'],
    label: ['tier=back', 'flag'],
    ipamDriver: 'default',
    ipamOpt: ['foo=bar'],
    configFrom: 'tmpl',
    scope: 'local',
  });
  assert.deepEqual(body, {
    Driver: 'bridge',
    Scope: 'local',
    EnableIPv4: false,
    EnableIPv6: true,
    IPAM: {
      Driver: 'default',
      Options: { foo: 'bar' },
      Config: [
        { Subnet: '172.28.0.0/16', IPRange: '172.28.5.0/24', Gateway: '172.28.5.254', AuxiliaryAddresses: { host1: '172.28.1.5' } },
        { Subnet: 'fd00:28::/64', Gateway: 'fd00:28::1', AuxiliaryAddresses: { host2: 'fd00:28::5' } },
      ],
    },
    Internal: true,
    Attachable: true,
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: { Network: 'tmpl' },
    Options: { 'com.docker.network.bridge.name': 'br-back', 'com.docker.network.driver.mtu': '1400' },
    Labels: { tier: 'back', flag: '' },
    Name: 'back',
  });
});

test('network create: IPAM consistency errors (docker texts)', () => {
  const e = (s: string[], r: string[], g: string[], aux: Record<string, string> = {}) => () => createIPAMConfig(s, r, g, aux);
  assert.throws(e([], [], ['10.0.0.1']), /^Error: every ip-range or gateway must have a corresponding subnet$/);
  assert.throws(e(['10.0.0.0/16', '10.0.1.0/24'], [], []), /^Error: multiple overlapping subnet configuration is not supported$/);
  assert.throws(e(['10.0.0.0/24', '10.0.0.0/24'], [], []), /multiple overlapping subnet/);
  assert.throws(e(['10.0.0.0/24'], ['10.1.0.0/25'], []), /^Error: no matching subnet for range 10\.1\.0\.0\/25$/);
  assert.throws(e(['10.0.0.0/24'], ['bogus'], []), /^Error: invalid CIDR address: bogus$/);
  assert.throws(e(['10.0.0.0/24', '10.1.0.0/24'], ['10.0.0.0/25', '10.0.0.128/25'], []), /^Error: cannot configure multiple ranges \(10\.0\.0\.128\/25, 10\.0\.0\.0\/25\) on the same subnet \(10\.0\.0\.0\/24\)$/);
  assert.throws(e(['10.0.0.0/24'], [], ['10.9.0.1']), /^Error: no matching subnet for gateway 10\.9\.0\.1$/);
  assert.throws(e(['10.0.0.0/24', '10.1.0.0/24'], [], ['10.0.0.1', '10.0.0.2']), /^Error: cannot configure multiple gateways \(10\.0\.0\.2, 10\.0\.0\.1\) for the same subnet \(10\.0\.0\.0\/24\)$/);
  assert.throws(e(['10.0.0.0/24'], [], [], { a: '10.5.0.1' }), /^Error: no matching subnet for aux-address 10\.5\.0\.1$/);
  assert.throws(e(['nonsense'], [], ['10.0.0.1']), /^Error: invalid subnet: invalid CIDR address: nonsense$/);
  // a lone subnet is passed on as written; the daemon judges it
  assert.deepEqual(createIPAMConfig(['nonsense'], [], [], {}), [{ Subnet: 'nonsense' }]);
});

test('network create: flag value errors are usage errors', () => {
  assert.throws(
    () => buildNetworkCreate('x', { label: [' =v'] }),
    (err: unknown) => err instanceof FlagError && err.message === `invalid argument " =v" for "--label" flag: invalid label ' =v': empty name`,
  );
});

test('network connect: the endpoint docker 28 sends', () => {
  assert.equal(
    JSON.stringify(buildConnectEndpoint({})),
    '{"IPAMConfig":{},"Links":null,"Aliases":[],"DriverOpts":{},"MacAddress":"","NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}',
  );
  const ep = buildConnectEndpoint({ ip: '172.28.5.9', ip6: 'fd00::9', alias: ['web,www', 'front'], link: ['db:database'], linkLocalIp: ['169.254.0.9'], driverOpt: ['com.example.a = 1 '], gwPriority: '10' });
  assert.deepEqual(ep.IPAMConfig, { IPv4Address: '172.28.5.9', IPv6Address: 'fd00::9', LinkLocalIPs: ['169.254.0.9'] });
  assert.deepEqual(ep.Aliases, ['web', 'www', 'front']);
  assert.deepEqual(ep.Links, ['db:database']);
  assert.deepEqual(ep.DriverOpts, { 'com.example.a': '1' });
  assert.equal(ep.GwPriority, 10);
  assert.throws(() => buildConnectEndpoint({ driverOpt: ['novalue'] }), /^Error: invalid key\/value pair format in driver options$/);
  assert.throws(() => buildConnectEndpoint({ link: ['a:b:c'] }), (err: unknown) => err instanceof FlagError && /^invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c$/.test(err.message));
  assert.throws(() => buildConnectEndpoint({ gwPriority: 'hi' }), /invalid argument "hi" for "--gw-priority" flag: strconv\.ParseInt: parsing "hi": invalid syntax/);
});
