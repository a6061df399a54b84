import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from './capabilities.js';
import { hostBoundingCapabilities, planSecurity } from './security.js';
import type { SecurityInput } from './security.js';

/** A root shell on this kind of host: everything but CAP_SYS_RESOURCE (bit 24). */
const STATUS = 'Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n';
const HOST = hostBoundingCapabilities(STATUS);
const plan = (over: Partial<SecurityInput> = {}) => planSecurity({ hostBoundingCaps: HOST, host: { arch: 'x64' }, ...over });
const invalid = (text: string) => (err: unknown) => isKind(err, 'InvalidArgument') && (err as Error).message === text;
const allows = (p: ReturnType<typeof plan>, name: string) =>
  (p.seccomp?.syscalls ?? []).some((s) => s.names.includes(name) && s.action === 'SCMP_ACT_ALLOW' && !s.args?.length);

test('hostBoundingCapabilities decodes CapBnd by capability number', () => {
  assert.equal(HOST.length, 40);
  assert.ok(!HOST.includes('CAP_SYS_RESOURCE'));
  const bit = (n: number) => hostBoundingCapabilities(`CapBnd:\t${(1n << BigInt(n)).toString(16).padStart(16, '0')}\n`);
  assert.deepEqual(bit(0), ['CAP_CHOWN']);
  assert.deepEqual(bit(12), ['CAP_NET_ADMIN']);
  assert.deepEqual(bit(21), ['CAP_SYS_ADMIN']);
  assert.deepEqual(bit(24), ['CAP_SYS_RESOURCE']);
  assert.deepEqual(bit(38), ['CAP_PERFMON']);
  assert.deepEqual(bit(39), ['CAP_BPF']);
  assert.deepEqual(bit(40), ['CAP_CHECKPOINT_RESTORE']);
  assert.deepEqual(bit(41), []); // beyond the known table
  assert.deepEqual(hostBoundingCapabilities('CapBnd:\t000001ffffffffff\n'), [...ALL_CAPABILITIES]);
  assert.deepEqual(hostBoundingCapabilities('CapBnd:\t0000000000000000\n'), []);
  assert.throws(() => hostBoundingCapabilities('Name:\tx\n'), (err: unknown) => isKind(err, 'Internal'));
});

test('defaults: Docker capabilities, default seccomp, masked paths', () => {
  const p = plan();
  assert.deepEqual(p.capabilities, DEFAULT_CAPABILITIES);
  assert.equal(p.noNewPrivileges, false);
  assert.equal(p.maskedPaths, true);
  assert.equal(p.readonlyPaths, true);
  assert.equal(p.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(p.seccomp?.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.ok(allows(p, 'chroot') && !allows(p, 'mount'));
  assert.equal(p.apparmor, undefined);
  assert.equal(p.labels, undefined);
});

test('cap-add and cap-drop: any case, with or without CAP_, ALL', () => {
  const added = plan({ capAdd: ['net_admin', 'CAP_SYS_ADMIN', 'Sys_Time'] });
  assert.deepEqual(added.capabilities, [...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SYS_TIME']);
  assert.ok(allows(added, 'mount') && allows(added, 'settimeofday'));

  const dropped = plan({ capDrop: ['sys_chroot', 'CAP_MKNOD'] });
  assert.deepEqual(dropped.capabilities, DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT' && c !== 'CAP_MKNOD'));
  assert.ok(!allows(dropped, 'chroot'));

  const only = plan({ capDrop: ['ALL'], capAdd: ['chown', 'setuid'] });
  assert.deepEqual(only.capabilities, ['CAP_CHOWN', 'CAP_SETUID']);
  assert.ok(!allows(only, 'chroot'));

  assert.deepEqual(plan({ capDrop: ['all'] }).capabilities, []);
  const all = plan({ capAdd: ['ALL'], capDrop: ['NET_RAW'] });
  assert.deepEqual(all.capabilities, HOST.filter((c) => c !== 'CAP_NET_RAW'));
  assert.ok(!all.capabilities.includes('CAP_SYS_RESOURCE'));
  assert.ok(allows(all, 'mount') && allows(all, 'reboot') && allows(all, 'init_module'));
  assert.equal(all.maskedPaths, true);
  // Dropping what the host does not have anyway is harmless.
  assert.deepEqual(plan({ capDrop: ['SYS_RESOURCE'] }).capabilities, DEFAULT_CAPABILITIES);
});

test('unknown or unavailable capabilities are refused with Docker\'s text', () => {
  assert.throws(() => plan({ capAdd: ['foo'] }), invalid('invalid CapAdd: unknown capability: "CAP_FOO"'));
  assert.throws(() => plan({ capDrop: ['CAP_BAR'] }), invalid('invalid CapDrop: unknown capability: "CAP_BAR"'));
  assert.throws(() => plan({ privileged: true, capAdd: ['foo'] }), invalid('invalid CapAdd: unknown capability: "CAP_FOO"'));
  assert.throws(() => plan({ capAdd: ['sys_resource'] }),
    invalid('invalid CapAdd: capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"'));
});

test('privileged: what the host can grant, unconfined, nothing masked', () => {
  const p = plan({ privileged: true, securityOpt: ['seccomp={"defaultAction":"SCMP_ACT_KILL"}'], capDrop: ['ALL'] });
  assert.deepEqual(p.capabilities, HOST);
  assert.ok(!p.capabilities.includes('CAP_SYS_RESOURCE'));
  assert.equal(p.seccomp, undefined);
  assert.equal(p.maskedPaths, false);
  assert.equal(p.readonlyPaths, false);
  const full = planSecurity({ hostBoundingCaps: [...ALL_CAPABILITIES], privileged: true });
  assert.deepEqual(full.capabilities, ALL_CAPABILITIES);
  // The options are still checked.
  assert.throws(() => plan({ privileged: true, securityOpt: ['bogus'] }), invalid('invalid --security-opt 1: "bogus"'));
});

test('security-opt: no-new-privileges', () => {
  assert.equal(plan({ securityOpt: ['no-new-privileges'] }).noNewPrivileges, true);
  assert.equal(plan({ securityOpt: ['no-new-privileges=true'] }).noNewPrivileges, true);
  assert.equal(plan({ securityOpt: ['no-new-privileges:1'] }).noNewPrivileges, true);
  assert.equal(plan({ securityOpt: ['no-new-privileges=false'], defaultNoNewPrivileges: true }).noNewPrivileges, false);
  assert.equal(plan({ defaultNoNewPrivileges: true }).noNewPrivileges, true);
  assert.throws(() => plan({ securityOpt: ['no-new-privileges=yes'] }), invalid('invalid --security-opt 2: "no-new-privileges=yes"'));
});

test('security-opt: syntax errors use Docker\'s texts', () => {
  assert.throws(() => plan({ securityOpt: ['label'] }), invalid('invalid --security-opt 1: "label"'));
  assert.throws(() => plan({ securityOpt: ['unknown'] }), invalid('invalid --security-opt 1: "unknown"'));
  assert.throws(() => plan({ securityOpt: ['unknown=something'] }), invalid('invalid --security-opt 2: "unknown=something"'));
  assert.throws(() => plan({ securityOpt: ['systempaths=unconfined'] }), invalid('invalid --security-opt 2: "systempaths=unconfined"'));
});

test('security-opt: seccomp', () => {
  assert.equal(plan({ securityOpt: ['seccomp=unconfined'] }).seccomp, undefined);
  assert.equal(plan({ securityOpt: ['seccomp:unconfined'] }).seccomp, undefined);
  assert.deepEqual(plan({ securityOpt: ['seccomp=builtin'] }).seccomp, plan().seccomp);

  // What the docker CLI sends: the file's JSON, resolved against the container's capabilities.
  const json = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_ADMIN'] } }] });
  assert.deepEqual(plan({ securityOpt: [`seccomp=${json}`] }).seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
  assert.deepEqual(plan({ securityOpt: [`seccomp=${json}`], capAdd: ['SYS_ADMIN'] }).seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] });
  assert.equal(plan({ securityOpt: ['seccomp={}'] }).seccomp, undefined);

  // A path, for clients that send one.
  const read: string[] = [];
  const fromFile = plan({ securityOpt: ['seccomp=/etc/p.json'], readSeccompFile: (p) => (read.push(p), json) });
  assert.deepEqual(read, ['/etc/p.json']);
  assert.equal(fromFile.seccomp?.defaultAction, 'SCMP_ACT_ALLOW');
  assert.throws(() => plan({ securityOpt: ['seccomp=/nope.json'], readSeccompFile: () => { throw new Error('ENOENT: no such file'); } }),
    invalid('opening seccomp profile (/nope.json) failed: ENOENT: no such file'));
  assert.throws(() => plan({ securityOpt: ['seccomp=/etc/p.json'] }), (err: unknown) => isKind(err, 'InvalidArgument'));
  assert.throws(() => plan({ securityOpt: ['seccomp={"defaultAction":1}'] }), (err: unknown) => isKind(err, 'InvalidArgument'));
});

test('security-opt: apparmor only where the host has it, labels kept', () => {
  assert.equal(plan({ securityOpt: ['apparmor=my-profile'] }).apparmor, undefined);
  assert.equal(plan({ securityOpt: ['apparmor=my-profile'], apparmorEnabled: true }).apparmor, 'my-profile');
  assert.equal(plan({ privileged: true, apparmorEnabled: true }).apparmor, 'unconfined');
  assert.equal(plan({ apparmorEnabled: true }).apparmor, undefined);
  assert.deepEqual(plan({ securityOpt: ['label=disable', 'label:type:svirt_t', 'disable'] }).labels, ['disable', 'type:svirt_t', 'disable']);
});
