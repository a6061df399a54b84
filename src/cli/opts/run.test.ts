/**
 * `run`/`create` argument -> create body, against the bodies the docker 28.2 CLI sent for the same
 * arguments (captured from a fake daemon). Both sides are compared after dropping zero values of
 * struct fields (Go's zero values that docker sends explicitly; Berth leaves them out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthCommand } from '../program.js';
import { addContainerFlags } from './run-flags.js';
import { buildCreateRequest, normalizeImageRef, type RunFlags } from './run.js';

interface Case {
  args: string[];
  query: string;
  body: Record<string, unknown>;
}

const FILES: Record<string, string> = {
  '/tmp/bcli/envfile': '# c\nX=1\nY\n\nZ=a b\n',
  '/tmp/bcli/labelfile': 'k1=v1\nk2\n',
};

/** Parses argv with the real run/create flag definitions. */
export function parseRunArgv(argv: string[]): { cmd: 'run' | 'create'; flags: RunFlags; args: string[] } {
  const program = new BerthCommand('berth').enablePositionalOptions().exitOverride();
  let out: { cmd: 'run' | 'create'; flags: RunFlags; args: string[] } | undefined;
  for (const name of ['run', 'create'] as const) {
    const c = addContainerFlags((program.command(name) as BerthCommand).positionalEnd(), name === 'run');
    c.action(function (this: BerthCommand) {
      out = { cmd: name, flags: this.opts() as RunFlags, args: [...this.args] };
    });
  }
  program.parse(argv, { from: 'user' });
  if (!out) throw new Error('no command ran');
  return out;
}

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      const zero = p === '' || p === 0 || p === false || p === null || p === undefined || (Array.isArray(p) && p.length === 0) || (typeof p === 'object' && p !== null && !Array.isArray(p) && Object.keys(p).length === 0);
      if (/^[A-Z]/.test(k) && zero) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

function build(argv: string[]) {
  const { cmd, flags, args } = parseRunArgv(argv);
  const [image, ...rest] = args;
  return buildCreateRequest(flags, image as string, rest, {
    lookupEnv: () => undefined,
    readFile: (p) => {
      const t = FILES[p];
      if (t === undefined) throw new Error(`no such file: ${p}`);
      return t;
    },
    cwd: '/tmp/bcli',
    run: cmd === 'run',
  });
}

const CASES: Case[] = [
  {"args": ["run", "--device-cgroup-rule", "c 10:229 rwm", "--device-cgroup-rule", "b 8:* r", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "DeviceCgroupRules": ["c 10:229 rwm", "b 8:* r"], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-d", "--name", "web", "busybox", "sleep", "10"], "body": {"Cmd": ["sleep", "10"], "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": "name=web"},
  {"args": ["run", "-i", "--rm", "-e", "A=1", "-e", "B", "-p", "8080:80", "-p", "127.0.0.1:53:53/udp", "-m", "512m", "--cpus", "1.5", "busybox", "sh", "-c", "echo hi"], "body": {"AttachStderr": true, "AttachStdin": true, "AttachStdout": true, "Cmd": ["sh", "-c", "echo hi"], "Env": ["A=1", "B"], "ExposedPorts": {"53/udp": {}, "80/tcp": {}}, "HostConfig": {"AutoRemove": true, "ConsoleSize": [0, 0], "Memory": 536870912, "MemorySwappiness": -1, "NanoCpus": 1500000000, "NetworkMode": "default", "PortBindings": {"53/udp": [{"HostIp": "127.0.0.1", "HostPort": "53"}], "80/tcp": [{"HostPort": "8080"}]}, "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "OpenStdin": true, "StdinOnce": true}, "query": ""},
  {"args": ["run", "--entrypoint", "/bin/sh", "-u", "1000:1000", "-w", "/tmp", "--hostname", "box", "-l", "a=b", "-l", "c", "busybox", "-c", "true"], "body": {"AttachStderr": true, "AttachStdout": true, "Cmd": ["-c", "true"], "Entrypoint": ["/bin/sh"], "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Hostname": "box", "Image": "busybox", "Labels": {"a": "b", "c": ""}, "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "User": "1000:1000", "WorkingDir": "/tmp"}, "query": ""},
  {"args": ["run", "--entrypoint", "", "busybox", "true"], "body": {"AttachStderr": true, "AttachStdout": true, "Cmd": ["true"], "Entrypoint": [""], "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--add-host", "h:1.2.3.4", "--dns", "8.8.8.8", "--dns-search", "ex.com", "--dns-option", "ndots:2", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "Dns": ["8.8.8.8"], "DnsOptions": ["ndots:2"], "DnsSearch": ["ex.com"], "ExtraHosts": ["h:1.2.3.4"], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--network", "net1", "--network-alias", "x", "--network-alias", "y", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "net1", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"net1": {"Aliases": ["x", "y"]}}}}, "query": ""},
  {"args": ["run", "--net", "none", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "none", "RestartPolicy": {"Name": "no"}}, "Image": "busybox"}, "query": ""},
  {"args": ["run", "-P", "--expose", "8000-8002", "--expose", "9000/udp", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "ExposedPorts": {"8000/tcp": {}, "8001/tcp": {}, "8002/tcp": {}, "9000/udp": {}}, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "PublishAllPorts": true, "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-p", "8000-8001:80-81", "-p", "9090", "-p", "127.0.0.1::22", "-p", "[::1]:80:80", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "ExposedPorts": {"22/tcp": {}, "80/tcp": {}, "81/tcp": {}, "9090/tcp": {}}, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "PortBindings": {"22/tcp": [{"HostIp": "127.0.0.1"}], "80/tcp": [{"HostPort": "8000"}, {"HostIp": "::1", "HostPort": "80"}], "81/tcp": [{"HostPort": "8001"}], "9090/tcp": [{}]}, "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-v", "/data", "-v", "/host:/ctr:ro", "-v", "vol:/v", "--tmpfs", "/run", "--tmpfs", "/tmp:size=64m,noexec", "--read-only", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"Binds": ["/host:/ctr:ro", "vol:/v"], "ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "ReadonlyRootfs": true, "RestartPolicy": {"Name": "no"}, "Tmpfs": {"/run": "", "/tmp": "size=64m,noexec"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "Volumes": {"/data": {}}}, "query": ""},
  {"args": ["run", "--mount", "type=bind,source=/a,target=/b,readonly", "--mount", "type=volume,src=v,dst=/c", "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "Mounts": [{"ReadOnly": true, "Source": "/a", "Target": "/b", "Type": "bind"}, {"Source": "v", "Target": "/c", "Type": "volume"}, {"Target": "/t", "TmpfsOptions": {"SizeBytes": 1048576}, "Type": "tmpfs"}], "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--restart", "on-failure:3", "--stop-signal", "SIGUSR1", "--stop-timeout", "5", "--init", "--privileged", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "Init": true, "MemorySwappiness": -1, "NetworkMode": "default", "Privileged": true, "RestartPolicy": {"MaximumRetryCount": 3, "Name": "on-failure"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "StopSignal": "SIGUSR1", "StopTimeout": 5}, "query": ""},
  {"args": ["run", "--restart", "always", "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"CapAdd": ["CAP_NET_ADMIN"], "CapDrop": ["ALL"], "ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "always"}, "SecurityOpt": ["no-new-privileges"]}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--memory-swap", "1g", "-m", "512m", "--cpu-shares", "512", "--cpuset-cpus", "0-1", "--pids-limit", "100", "--shm-size", "64m", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "CpuShares": 512, "CpusetCpus": "0-1", "Memory": 536870912, "MemorySwap": 1073741824, "MemorySwappiness": -1, "NetworkMode": "default", "PidsLimit": 100, "RestartPolicy": {"Name": "no"}, "ShmSize": 67108864}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--ulimit", "nofile=1024:2048", "--ulimit", "nproc=100", "--sysctl", "net.ipv4.ip_forward=1", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}, "Sysctls": {"net.ipv4.ip_forward": "1"}, "Ulimits": [{"Hard": 2048, "Name": "nofile", "Soft": 1024}, {"Hard": 100, "Name": "nproc", "Soft": 100}]}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--log-driver", "json-file", "--log-opt", "max-size=10m", "--log-opt", "max-file=3", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "LogConfig": {"Config": {"max-file": "3", "max-size": "10m"}, "Type": "json-file"}, "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--health-cmd", "wget -q localhost", "--health-interval", "30s", "--health-timeout", "1m30s", "--health-retries", "3", "--health-start-period", "5s", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "Healthcheck": {"Interval": 30000000000, "Retries": 3, "StartPeriod": 5000000000, "Test": ["CMD-SHELL", "wget -q localhost"], "Timeout": 90000000000}, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--no-healthcheck", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "Healthcheck": {"Test": ["NONE"]}, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--ipc", "host", "--pid", "host", "--uts", "host", "--userns", "host", "--cgroupns", "private", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"CgroupnsMode": "private", "ConsoleSize": [0, 0], "IpcMode": "host", "MemorySwappiness": -1, "NetworkMode": "default", "PidMode": "host", "RestartPolicy": {"Name": "no"}, "UTSMode": "host", "UsernsMode": "host"}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--device", "/dev/fuse", "--device", "/dev/sda:/dev/xvda:r", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "Devices": [{"CgroupPermissions": "rwm", "PathInContainer": "/dev/fuse", "PathOnHost": "/dev/fuse"}, {"CgroupPermissions": "r", "PathInContainer": "/dev/xvda", "PathOnHost": "/dev/sda"}], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--ip", "172.17.0.5", "--mac-address", "02:42:ac:11:00:05", "--network", "net1", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "net1", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"net1": {"IPAMConfig": {"IPv4Address": "172.17.0.5"}, "MacAddress": "02:42:ac:11:00:05"}}}}, "query": ""},
  {"args": ["run", "--link", "a:b", "--volumes-from", "c", "--volumes-from", "d:ro", "--group-add", "audio", "--oom-score-adj", "100", "--blkio-weight", "300", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"BlkioWeight": 300, "ConsoleSize": [0, 0], "GroupAdd": ["audio"], "Links": ["a:b"], "MemorySwappiness": -1, "NetworkMode": "default", "OomScoreAdj": 100, "RestartPolicy": {"Name": "no"}, "VolumesFrom": ["c", "d:ro"]}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-a", "stdout", "busybox"], "body": {"AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-a", "stdin", "-a", "stderr", "busybox"], "body": {"AttachStderr": true, "AttachStdin": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-c", "100", "--stop-signal", "9", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "CpuShares": 100, "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "StopSignal": "9"}, "query": ""},
  {"args": ["run", "-e", "FOO=bar", "--env-file", "/tmp/bcli/envfile", "--label-file", "/tmp/bcli/labelfile", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "Env": ["X=1", "Z=a b", "FOO=bar"], "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "Labels": {"k1": "v1"}, "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["create", "--name", "c1", "busybox", "echo", "hi"], "body": {"AttachStderr": true, "AttachStdout": true, "Cmd": ["echo", "hi"], "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": "name=c1"},
  {"args": ["create", "-i", "busybox"], "body": {"AttachStderr": true, "AttachStdin": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "OpenStdin": true, "StdinOnce": true}, "query": ""},
  {"args": ["run", "--platform", "linux/amd64", "--pull", "never", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": "platform=linux%2Famd64"},
  {"args": ["run", "--memory", "1g", "--memory-swap", "-1", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "Memory": 1073741824, "MemorySwap": -1, "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--restart", "unless-stopped", "--rm=false", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "unless-stopped"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--cpus", "0.5", "--cidfile", "/tmp/bcli/cid", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "ContainerIDFile": "/tmp/bcli/cid", "MemorySwappiness": -1, "NanoCpus": 500000000, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-d", "-i", "busybox"], "body": {"HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "OpenStdin": true}, "query": ""},
  {"args": ["run", "-a", "stdout", "-i", "busybox"], "body": {"AttachStdin": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "OpenStdin": true, "StdinOnce": true}, "query": ""},
  {"args": ["run", "-l", "a=b", "-l", "c", "--label", "d=", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "Labels": {"a": "b", "c": "", "d": ""}, "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-v", "./rel:/x", "-v", "/anon", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"Binds": ["/tmp/bcli/rel:/x"], "ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "Volumes": {"/anon": {}}}, "query": ""},
  {"args": ["run", "--link", "a:b", "--network", "net1", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "Links": ["a:b"], "MemorySwappiness": -1, "NetworkMode": "net1", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"net1": {"Links": ["a:b"]}}}}, "query": ""},
  {"args": ["run", "--env-file", "/tmp/bcli/envfile", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "Env": ["X=1", "Z=a b"], "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--rm", "-d", "busybox"], "body": {"HostConfig": {"AutoRemove": true, "ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--health-interval", "10s", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "Healthcheck": {"Interval": 10000000000}, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--mount", "type=bind,src=/a,dst=/b,bind-propagation=rshared", "--mount", "type=volume,dst=/d,volume-nocopy,volume-label=x=y,volume-driver=local,volume-opt=o=1", "--mount", "type=tmpfs,dst=/e,tmpfs-mode=1770", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "Mounts": [{"BindOptions": {"Propagation": "rshared"}, "Source": "/a", "Target": "/b", "Type": "bind"}, {"Target": "/d", "Type": "volume", "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": {"o": "1"}}, "Labels": {"x": "y"}, "NoCopy": true}}, {"Target": "/e", "TmpfsOptions": {"Mode": 1016}, "Type": "tmpfs"}], "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--cap-add", "sys_admin", "--cap-add", "CAP_CHOWN", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"CapAdd": ["CAP_CHOWN", "CAP_SYS_ADMIN"], "ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--ipc", "shareable", "--pid", "container:abc", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "HostConfig": {"ConsoleSize": [0, 0], "IpcMode": "shareable", "MemorySwappiness": -1, "NetworkMode": "default", "PidMode": "container:abc", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "-p", "8080-8081:80", "busybox"], "body": {"AttachStderr": true, "AttachStdout": true, "ExposedPorts": {"80/tcp": {}}, "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "PortBindings": {"80/tcp": [{"HostPort": "8080-8081"}]}, "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}}, "query": ""},
  {"args": ["run", "--entrypoint", "sh", "--workdir", "/w", "--user", "nobody", "busybox", "-c", "id"], "body": {"AttachStderr": true, "AttachStdout": true, "Cmd": ["-c", "id"], "Entrypoint": ["sh"], "HostConfig": {"ConsoleSize": [0, 0], "MemorySwappiness": -1, "NetworkMode": "default", "RestartPolicy": {"Name": "no"}}, "Image": "busybox", "NetworkingConfig": {"EndpointsConfig": {"default": {}}}, "User": "nobody", "WorkingDir": "/w"}, "query": ""},
];

for (const c of CASES) {
  test(`docker ${c.args.join(' ')}`, () => {
    const req = build(c.args);
    const q = new URLSearchParams(c.query);
    assert.equal(req.name, q.get('name') ?? undefined);
    assert.equal(req.platform, q.get('platform') ?? undefined);
    assert.deepEqual(prune(JSON.parse(JSON.stringify(req.body))), c.body);
  });
}

test('combined short flags and flags after IMAGE belong to the command', () => {
  const { flags, args } = parseRunArgv(['run', '-dit', '--name', 'x', 'busybox', 'sh', '-c', 'echo -e hi', '--rm']);
  assert.equal(flags.detach, true);
  assert.equal(flags.interactive, true);
  assert.equal(flags.tty, true);
  assert.equal(flags.rm, undefined);
  assert.deepEqual(args, ['busybox', 'sh', '-c', 'echo -e hi', '--rm']);
});

test('--flag=false for booleans', () => {
  const { flags } = parseRunArgv(['run', '--rm=false', '--sig-proxy=false', '-i', '--privileged=true', 'busybox']);
  assert.equal(flags.rm, false);
  assert.equal(flags.sigProxy, false);
  assert.equal(flags.privileged, true);
});

test('-t sends the terminal size and Tty', () => {
  const { flags, args } = parseRunArgv(['run', '-ti', 'busybox']);
  const req = buildCreateRequest(flags, args[0] as string, [], { lookupEnv: () => undefined, readFile: () => '', cwd: '/', ttySize: [40, 120], run: true });
  assert.deepEqual(req.body.HostConfig?.ConsoleSize, [40, 120]);
  assert.equal(req.body.Tty, true);
  assert.equal(req.body.OpenStdin, true);
  assert.equal(req.body.StdinOnce, true);
  assert.equal(req.body.AttachStdin, true);
});

test('-e NAME takes the value from the environment when set', () => {
  const { flags, args } = parseRunArgv(['run', '-e', 'HOME', '-e', 'NOPE', 'busybox']);
  const req = buildCreateRequest(flags, args[0] as string, [], { lookupEnv: (n) => (n === 'HOME' ? '/root' : undefined), readFile: () => '', cwd: '/', run: true });
  assert.deepEqual(req.body.Env, ['HOME=/root', 'NOPE']);
});

test('flag errors', () => {
  assert.throws(() => build(['run', '--rm', '--restart', 'always', 'busybox']), /conflicting options: cannot specify both --restart and --rm/);
  assert.throws(() => build(['run', '-m', 'lots', 'busybox']), /invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'/);
  assert.throws(() => build(['run', '--no-healthcheck', '--health-cmd', 'x', 'busybox']), /--no-healthcheck conflicts with --health-\* options/);
  assert.throws(() => build(['run', '--network-alias', 'a', 'busybox']), /network-scoped aliases are only supported for user-defined networks/);
  assert.throws(() => build(['run', '-p', '80:80/foo', 'busybox']), /invalid proto: foo/);
});

test('normalizeImageRef', () => {
  assert.equal(normalizeImageRef('busybox'), 'busybox:latest');
  assert.equal(normalizeImageRef('busybox:1.36'), 'busybox:1.36');
  assert.equal(normalizeImageRef('localhost:5000/busybox'), 'localhost:5000/busybox:latest');
  assert.equal(normalizeImageRef('busybox@sha256:abc'), 'busybox@sha256:abc');
});
