/** Expected strings are what the docker 28.2 CLI printed for the same API answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, ImageSummary } from '../../api/types.js';
import { bytesSize, goG, humanDuration, humanSize, humanSizeWithPrecision, truncateId, ellipsis } from './humanize.js';
import { table, tabwrite } from './table.js';
import { displayablePorts, psTable } from './containers.js';
import { imageRows, imagesTable } from './images.js';

test('humanDuration (go-units)', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(2000), '2 seconds');
  assert.equal(humanDuration(61_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(3700_000), 'About an hour');
  assert.equal(humanDuration(2 * 3600_000), '2 hours');
  assert.equal(humanDuration(3 * 86400_000), '3 days');
  assert.equal(humanDuration(30 * 86400_000), '4 weeks');
  assert.equal(humanDuration(90 * 86400_000), '3 months');
  assert.equal(humanDuration(800 * 86400_000), '2 years');
});

test('sizes (go-units)', () => {
  assert.equal(humanSizeWithPrecision(4261550, 3), '4.26MB');
  assert.equal(humanSizeWithPrecision(123456789, 3), '123MB');
  assert.equal(humanSizeWithPrecision(12, 3), '12B');
  assert.equal(humanSizeWithPrecision(0, 3), '0B');
  assert.equal(humanSize(4261550), '4.262MB');
  assert.equal(humanSize(123456789), '123.5MB');
  assert.equal(bytesSize(16.5 * 1024 ** 3), '16.5GiB');
  assert.equal(goG(999.9, 3), '1e+03');
  assert.equal(goG(4, 3), '4');
});

test('ids and ellipsis', () => {
  assert.equal(truncateId('sha256:a9155b9c2a4b0e1f5c8e'), 'a9155b9c2a4b');
  assert.equal(ellipsis("sh -c 'while true; do echo hello world; sleep 1; done'", 20), "sh -c 'while true; …");
});

test('tabwriter as docker configures it', () => {
  assert.equal(tabwrite('REPOSITORY\tTAG\tIMAGE ID\nbusybox\tlatest\tabc\n'), 'REPOSITORY   TAG       IMAGE ID\nbusybox      latest    abc\n');
  assert.equal(table([['A', 'B'], ['…', 'x']]), 'A         B\n…         x\n');
});

test('displayablePorts', () => {
  assert.equal(
    displayablePorts([
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' },
    ]),
    '53/udp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp',
  );
  assert.equal(
    displayablePorts([
      { PrivatePort: 8000, Type: 'tcp' },
      { PrivatePort: 8001, Type: 'tcp' },
      { PrivatePort: 8002, Type: 'tcp' },
    ]),
    '8000-8002/tcp',
  );
  assert.equal(displayablePorts([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' }]), '0.0.0.0:80->80/tcp');
});

const NOW = 1_800_000_000_000;
const now = NOW / 1000;

const containers: ContainerSummary[] = [
  {
    Id: '4f66ad9a0b2ef1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e',
    Names: ['/web'],
    Image: 'busybox',
    ImageID: 'sha256:abc',
    Command: "sh -c 'while true; do echo hello world; sleep 1; done'",
    Created: now - 5,
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' },
    ],
    Labels: { a: 'b' },
    State: 'running',
    Status: 'Up 3 seconds',
    HostConfig: { NetworkMode: 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
    SizeRw: 12,
    SizeRootFs: 4261234,
  },
  {
    Id: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    Names: ['/exited_one'],
    Image: 'sha256:1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef',
    ImageID: 'sha256:abc',
    Command: 'true',
    Created: now - 3700,
    Ports: [],
    Labels: {},
    State: 'exited',
    Status: 'Exited (0) About an hour ago',
    HostConfig: { NetworkMode: 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  },
];

test('ps table as docker prints it', () => {
  const expected = [
    'CONTAINER ID   IMAGE                                                                     COMMAND                  CREATED             STATUS                         PORTS                                             NAMES',
    '4f66ad9a0b2e   busybox                                                                   "sh -c \'while true; …"   5 seconds ago       Up 3 seconds                   53/udp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web',
    '0123456789ab   sha256:1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef   "true"                   About an hour ago   Exited (0) About an hour ago                                                     exited_one',
    '',
  ].join('\n');
  assert.equal(table(psTable(containers, { trunc: true, size: false, now: NOW })), expected);
  const sized = table(psTable(containers, { trunc: true, size: true, now: NOW })).split('\n');
  assert.ok(sized[1]?.endsWith('web          12B (virtual 4.26MB)'));
  assert.ok(sized[2]?.endsWith('exited_one   0B'));
});

test('images table as docker prints it', () => {
  const images: ImageSummary[] = [
    {
      Id: 'sha256:a9155b9c2a4b0e1f5c8e3d2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f',
      ParentId: '',
      RepoTags: ['busybox:latest', 'busybox:1.36'],
      RepoDigests: ['busybox@sha256:1111111111111111111111111111111111111111111111111111111111111111'],
      Created: now - 86400 * 30,
      Size: 4261550,
      SharedSize: -1,
      Labels: {},
      Containers: -1,
    },
    { Id: 'sha256:b9155b9c2a4b0e1f5c8e3d2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f', ParentId: '', RepoTags: [], RepoDigests: [], Created: now - 7200, Size: 123456789, SharedSize: -1, Labels: {}, Containers: -1 },
  ];
  const expected = [
    'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE',
    'busybox      latest    a9155b9c2a4b   4 weeks ago   4.26MB',
    'busybox      1.36      a9155b9c2a4b   4 weeks ago   4.26MB',
    '<none>       <none>    b9155b9c2a4b   2 hours ago   123MB',
    '',
  ].join('\n');
  assert.equal(table(imagesTable(imageRows(images, false), { trunc: true, digests: false, now: NOW })), expected);
});
