/** The topology renderers: facts gathered from API objects, the text layout, and a well-formed SVG. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInspect, NetworkResource } from '../api/types.js';
import { bridgeName, diagramInput, escapeXml, natural, renderDiagramSvg, renderDiagramText, type DiagramInput } from './diagram.js';

const NET_ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const WEB = '4f66ad9a0b2ef1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e';
const DB = 'aa66ad9a0b2ef1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e';

function network(over: Partial<NetworkResource> = {}): NetworkResource {
  return {
    Name: 'front',
    Id: NET_ID,
    Created: '2024-05-01T10:00:00.123456789Z',
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {
      [WEB]: { Name: 'web', EndpointID: 'e1', MacAddress: '02:42:ac:12:00:02', IPv4Address: '172.18.0.2/16', IPv6Address: '', HostInterface: 'veth4f66ad9' } as NetworkResource['Containers'][string],
      [DB]: { Name: 'db', EndpointID: 'e2', MacAddress: '02:42:ac:12:00:03', IPv4Address: '172.18.0.3/16', IPv6Address: '' },
    },
    Options: {},
    Labels: {},
    ...over,
  };
}

const inspectWithPorts = (ports: ContainerInspect['NetworkSettings']['Ports']): ContainerInspect => ({ NetworkSettings: { Ports: ports } }) as unknown as ContainerInspect;

function sample(): DiagramInput {
  const inspects = new Map<string, ContainerInspect>([
    [WEB, inspectWithPorts({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }], '53/udp': null, '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '8443' }] })],
  ]);
  return diagramInput(network(), inspects);
}

test('diagramInput: endpoints, optional host interface, published ports only, sorted', () => {
  const d = sample();
  assert.deepEqual(
    d.containers.map((c) => c.name),
    ['db', 'web'],
  );
  const [db, web] = d.containers;
  assert.equal(db?.hostIface, undefined);
  assert.deepEqual(db?.ports, []);
  assert.equal(web?.ip, '172.18.0.2');
  assert.equal(web?.mac, '02:42:ac:12:00:02');
  assert.equal(web?.hostIface, 'veth4f66ad9');
  assert.deepEqual(web?.ports, [
    { containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: '8080' },
    { containerPort: '80/tcp', hostIp: '::', hostPort: '8080' },
    { containerPort: '443/tcp', hostIp: '127.0.0.1', hostPort: '8443' },
  ]);
});

test('bridge name: the option, docker\'s br-<id> default, none for other drivers', () => {
  assert.equal(bridgeName(network()), 'br-0123456789ab');
  assert.equal(bridgeName(network({ Options: { 'com.docker.network.bridge.name': 'berth0' } })), 'berth0');
  assert.equal(bridgeName(network({ Driver: 'host' })), undefined);
});

test('natural order', () => {
  assert.deepEqual(['web10', 'web2', 'db', 'web1'].sort(natural), ['db', 'web1', 'web2', 'web10']);
});

test('text diagram', () => {
  assert.equal(
    renderDiagramText(sample()),
    [
      'network front  (bridge, local, id 0123456789ab)',
      'bridge br-0123456789ab',
      'subnet 172.18.0.0/16  gateway 172.18.0.1',
      ' │',
      ' ├── db  aa66ad9a0b2e',
      ' │    ipv4   172.18.0.3',
      ' │    mac    02:42:ac:12:00:03',
      ' │',
      ' └── web  4f66ad9a0b2e',
      '      veth   veth4f66ad9',
      '      ipv4   172.18.0.2',
      '      mac    02:42:ac:12:00:02',
      '      ports  80/tcp -> 0.0.0.0:8080',
      '             80/tcp -> [::]:8080',
      '             443/tcp -> 127.0.0.1:8443',
      '',
    ].join('\n'),
  );
});

test('text diagram: empty network, internal, several subnets', () => {
  const n = network({
    Containers: {},
    Internal: true,
    EnableIPv6: true,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.1', IPRange: '10.1.0.128/25' }, { Subnet: 'fd00::/64' }] },
  });
  assert.equal(
    renderDiagramText(diagramInput(n, new Map())),
    [
      'network front  (bridge, local, id 0123456789ab)',
      'bridge br-0123456789ab',
      'subnet 10.1.0.0/24  gateway 10.1.0.1  range 10.1.0.128/25',
      'subnet fd00::/64',
      'internal, ipv6',
      ' (no containers attached)',
      '',
    ].join('\n'),
  );
});

/** Checks the tags nest and close, and that no raw markup characters are left in text or attributes. */
function assertWellFormed(svg: string): string[] {
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const names: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    const between = body.slice(last, m.index);
    assert.doesNotMatch(between, /[<>]/, `stray markup before ${m[0]}`);
    assert.doesNotMatch(between, /&(?!(amp|lt|gt|quot|apos);)/, 'unescaped &');
    last = re.lastIndex;
    const [, close, name, , selfClose] = m as unknown as [string, string, string, string, string];
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the open element`);
    else if (!selfClose) stack.push(name);
    names.push(name);
  }
  assert.equal(body.slice(last).trim(), '', 'nothing after the root element');
  assert.deepEqual(stack, [], 'every element is closed');
  assert.equal(names[0], 'svg');
  return names;
}

test('svg: standalone, balanced, one box and one line per container, port labels', () => {
  const svg = renderDiagramSvg(sample());
  assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '));
  const names = assertWellFormed(svg);
  assert.equal(names.filter((n) => n === 'rect').length, 3); // bridge + 2 containers
  assert.equal(names.filter((n) => n === 'line').length, 2);
  assert.match(svg, /<text [^>]*class="title">network front {2}\(bridge, local, id 0123456789ab\)<\/text>/);
  assert.match(svg, />bridge br-0123456789ab</);
  assert.match(svg, />veth4f66ad9</);
  assert.match(svg, />80\/tcp -&gt; \[::\]:8080</);
  assert.match(svg, />ipv4 172\.18\.0\.3</);
  const size = /width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  assert.ok(size && size[1] === size[3] && size[2] === size[4]);
  assert.equal(renderDiagramSvg(sample()), svg, 'deterministic');
});

test('svg: lines end on the boxes they connect', () => {
  const svg = renderDiagramSvg(sample());
  const rects = [...svg.matchAll(/<rect class="(net|ctr)" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/g)].map((m) => ({ x: +m[2]!, y: +m[3]!, w: +m[4]!, h: +m[5]! }));
  const [bridge, ...boxes] = rects;
  const lines = [...svg.matchAll(/<line class="link" x1="(\d+)" y1="(\d+)" x2="(\d+)" y2="(\d+)"/g)].map((m) => m.slice(1).map(Number));
  assert.equal(lines.length, boxes.length);
  lines.forEach(([x1, y1, x2, y2], i) => {
    const box = boxes[i]!;
    assert.equal(x1, x2);
    assert.equal(y1, bridge!.y + bridge!.h);
    assert.equal(y2, box.y);
    assert.ok(x1! > box.x && x1! < box.x + box.w);
  });
  // boxes side by side without overlap, inside the bridge's width
  for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i]!.x >= boxes[i - 1]!.x + boxes[i - 1]!.w);
  assert.ok(boxes.every((b) => b.x >= bridge!.x && b.x + b.w <= bridge!.x + bridge!.w));
});

test('svg: names are escaped', () => {
  const d = sample();
  const n = { ...d.network, Name: 'a<b>&"c\'' };
  const web = d.containers[1]!;
  const svg = renderDiagramSvg({ network: n, containers: [{ ...web, name: '</text><script>alert(1)</script>', hostIface: 'v&<' }] });
  assertWellFormed(svg);
  assert.ok(!svg.includes('<script>'));
  assert.match(svg, /<title>network a&lt;b&gt;&amp;&quot;c&apos;<\/title>/);
  assert.match(svg, /&lt;\/text&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(svg, />v&amp;&lt;</);
  assert.equal(escapeXml('a\u0001b'), 'ab');
});

test('svg: an empty network is just the bridge', () => {
  const svg = renderDiagramSvg(diagramInput(network({ Containers: {} }), new Map()));
  const names = assertWellFormed(svg);
  assert.equal(names.filter((x) => x === 'rect').length, 1);
  assert.equal(names.filter((x) => x === 'line').length, 0);
});
