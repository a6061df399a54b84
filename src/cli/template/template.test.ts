import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { parseTemplate, renderTemplate } from './index.js';

const ctr = {
  Id: 'abc123',
  Name: '/web',
  Args: ['-g', 'daemon off;'],
  State: { Status: 'running', Running: true, Paused: false, Pid: 4242, ExitCode: 0, StartedAt: '2024-01-01T00:00:00Z', Health: null },
  Config: {
    Hostname: 'abc123',
    Env: ['PATH=/usr/bin', 'A=1'],
    Cmd: ['nginx'],
    Entrypoint: null,
    Labels: { 'com.example.b': 'two', 'com.example.a': 'one' },
    ExposedPorts: { '80/tcp': {} },
  },
  HostConfig: { Memory: 0, NanoCpus: 1500000000, Binds: null, ShmSize: 67108864 },
  Mounts: [
    { Type: 'bind', Source: '/data', Destination: '/srv', RW: true },
    { Type: 'volume', Source: '/var/lib/berth/volumes/v/_data', Destination: '/v', RW: false },
  ],
  NetworkSettings: {
    Networks: { bridge: { IPAddress: '172.17.0.2', Gateway: '172.17.0.1', Aliases: null } },
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
  },
  Ratio: 0.25,
  Big: 1234567.5,
};

test('docker format strings', () => {
  const table: [string, string][] = [
    ['{{.State.Pid}}', '4242'],
    ['{{.Name}}', '/web'],
    ['{{.Id}} {{.Name}}', 'abc123 /web'],
    ['{{json .Config}}', JSON.stringify(ctr.Config)],
    ['{{json .Config.Labels}}', '{"com.example.b":"two","com.example.a":"one"}'],
    ['{{.Config | json}}', JSON.stringify(ctr.Config)],
    ['{{range .Mounts}}{{.Source}} {{end}}', '/data /var/lib/berth/volumes/v/_data '],
    ['{{index .NetworkSettings.Networks "bridge"}}', 'map[Aliases:<nil> Gateway:172.17.0.1 IPAddress:172.17.0.2]'],
    ['{{(index .NetworkSettings.Networks "bridge").IPAddress}}', '172.17.0.2'],
    ['{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', '172.17.0.2'],
    ['{{if .State.Running}}up{{else}}down{{end}}', 'up'],
    ['{{if .State.Paused}}paused{{else if .State.Running}}running{{else}}down{{end}}', 'running'],
    ['{{range $k,$v := .Config.Labels}}{{$k}}={{$v}};{{end}}', 'com.example.a=one;com.example.b=two;'],
    ['{{range $i, $m := .Mounts}}{{$i}}:{{$m.Destination}} {{end}}', '0:/srv 1:/v '],
    ['{{join .Args ","}}', '-g,daemon off;'],
    ['{{printf "%s:%d" .Name 3}}', '/web:3'],
    ['{{.Config.Labels}}', 'map[com.example.a:one com.example.b:two]'],
    ['{{.Config.Env}}', '[PATH=/usr/bin A=1]'],
    ['{{.Mounts}}', '[map[Destination:/srv RW:true Source:/data Type:bind] map[Destination:/v RW:false Source:/var/lib/berth/volumes/v/_data Type:volume]]'],
    ['{{.Config.ExposedPorts}}', 'map[80/tcp:map[]]'],
    ['{{.Missing}}', '<no value>'],
    ['{{.Missing.Deeper}}', '<no value>'],
    ['{{.Config.Entrypoint}}', '<no value>'],
    ['{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.ShmSize}}', '0 1500000000 67108864'],
    ['{{.Ratio}} {{.Big}}', '0.25 1.2345675e+06'],
    ['{{with .State}}{{.Status}}{{end}}', 'running'],
    ['{{with .State.Health}}{{.Status}}{{else}}no health{{end}}', 'no health'],
    ['{{with $s := .State}}{{$s.Pid}}{{end}}', '4242'],
    ['{{with .Missing}}a{{else with .Name}}{{.}}{{end}}', '/web'],
    ['{{if $x := .State.Pid}}{{$x}}{{else}}{{$x}}{{end}}', '4242'],
    ['{{range $i, $e := .Mounts}}{{end}}{{len .Mounts | printf "%03d"}}', '002'],
    ['{{$n := .Name}}{{$n}}-{{$n}}', '/web-/web'],
    ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ['{{.}}', ''],
    ['{{range .Config.Cmd}}{{.}}{{end}}', 'nginx'],
    ['{{range .HostConfig.Binds}}x{{else}}none{{end}}', 'none'],
    ['{{len .Mounts}} {{len .Config.Labels}} {{len .Name}}', '2 2 4'],
    ['{{lower "ABC"}} {{upper .Name}} {{title "hello wide-world"}}', 'abc /WEB Hello Wide-World'],
    ['{{split "a,b,c" ","}}', '[a b c]'],
    ['{{truncate .Id 3}}|{{truncate .Id 10}}|{{pad .Name 1 2}}|{{pad "" 1 1}}', 'abc|abc123| /web  |'],
    ['{{eq .State.Status "running"}} {{ne .State.Pid 0}} {{lt 1 2}} {{ge 2.5 3}} {{eq .State.Status "a" "running"}}', 'true true true false true'],
    ['{{and 1 0}} {{or 0 "" "x"}} {{not .State.Running}} {{and .State.Running .Name}}', '0 x false /web'],
    ['{{if and .State.Running (eq .State.ExitCode 0)}}ok{{end}}', 'ok'],
    ['{{if or .Missing .State.Running}}ok{{end}}', 'ok'],
    ['{{slice .Id 1 3}} {{slice .Args 1}}', 'bc [daemon off;]'],
    ['{{index .Args 1}} {{index .Config.Labels "com.example.a"}} {{index .Config.Labels "nope"}}', 'daemon off; one <no value>'],
    ['{{print "a" 1 2 "b"}} {{println 1 2}}', 'a1 2b 1 2\n'],
    ['{{printf "%v|%q|%t|%x|%5s|%-4d|%05d|%.2f|%T" .Args .Name true 255 "ab" 7 42 3.14159 .Name}}', '[-g daemon off;]|"/web"|true|ff|   ab|7   |00042|3.14|string'],
    ['{{printf "%d %s" "x"}}', '%!d(string=x) %!s(MISSING)'],
    ['{{printf "%s" .Name 1}}', '/web%!(EXTRA int=1)'],
    ['{{printf "%%"}}', '%'],
    ['a {{- " b " -}} c', 'a b c'],
    ['a  {{- /* comment */ -}}  b', 'ab'],
    ['x{{/* c */}}y', 'xy'],
    ['{{- .Name }}\n', '/web\n'],
    ['{{"quoted\\t"}}{{`raw\\t`}}{{\'a\'}}{{0x1F}}{{-3}}{{1e3}}', 'quoted\traw\\t9731-31000'],
    ['{{range $i, $e := .Args}}{{if eq $i 1}}{{break}}{{end}}{{$e}}{{end}}', '-g'],
    ['{{range .Args}}{{if eq . "-g"}}{{continue}}{{end}}[{{.}}]{{end}}', '[daemon off;]'],
    ['{{range 3}}{{.}}{{end}}', '012'],
    ['{{define "p"}}<{{.}}>{{end}}{{template "p" .Name}}{{template "p" .State.Pid}}', '</web><4242>'],
    ['{{block "b" .Id}}[{{.}}]{{end}}', '[abc123]'],
    ['{{$}}', ''],
    ['{{range .Mounts}}{{$.Name}}{{end}}', '/web/web'],
    ['{{.NetworkSettings.Ports}}', 'map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]]'],
    ['{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}', '80/tcp -> 8080'],
    ['{{json .Missing}} {{json .State.Health}} {{json "a<b"}}', 'null null "a<b"'],
    ['{{ .Name | printf "%s!" | upper }}', '/WEB!'],
  ];
  for (const [tmpl, want] of table) {
    const data = tmpl === '{{.}}' || tmpl === '{{$}}' ? '' : ctr;
    assert.equal(renderTemplate(tmpl, data), want, tmpl);
  }
  assert.equal(renderTemplate('{{.}}', { a: [1, 'x', null, true] }), 'map[a:[1 x <nil> true]]');
  assert.equal(renderTemplate('{{.}}', 0.00001), '1e-05');
  assert.equal(renderTemplate('{{.}}', 12345678901234), '12345678901234');
});

test('a parsed template renders many times', () => {
  const t = parseTemplate('{{.Name}}:{{.State.Pid}}');
  assert.equal(renderTemplate(t, ctr), '/web:4242');
  assert.equal(renderTemplate(t, { Name: 'x', State: { Pid: 1 } }), 'x:1');
});

test('errors read like Go', () => {
  const table: [string, string][] = [
    ['{{foo .Name}}', 'template: :1: function "foo" not defined'],
    ['{{.Name', 'template: :1: unclosed action'],
    ['{{if .Name}}x', 'template: :1: unexpected EOF'],
    ['x{{end}}', 'template: :1: unexpected {{end}}'],
    ['{{else}}', 'template: :1: unexpected {{else}}'],
    ['{{$x}}', 'template: :1: undefined variable "$x"'],
    ['a\n{{"unterminated}}', 'template: :2: unterminated quoted string'],
    ['{{}}', 'template: :1: missing value for command'],
    ['{{break}}', 'template: :1: {{break}} outside {{range}}'],
    ['{{.State.Health.Status}}', 'template: :1:2: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status'],
    ['{{.Name.First}}', 'template: :1:2: executing "" at <.Name.First>: can\'t evaluate field First in type string'],
    ['{{index .Args 5}}', 'template: :1:2: executing "" at <index>: error calling index: index out of range: 5'],
    ['{{join .Name ","}}', 'template: :1:2: executing "" at <join>: wrong type for value; expected []string; got string'],
    ['{{len 3}}', 'template: :1:2: executing "" at <len>: error calling len: len of type int'],
    ['{{eq .Name 1}}', 'template: :1:2: executing "" at <eq>: error calling eq: incompatible types for comparison'],
    ['{{upper}}', 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 0'],
    ['{{.Name | .Id}}', 'template: :1:10: executing "" at <.Id>: Id is not a method but has arguments'],
    ['{{"x" 1}}', 'template: :1:2: executing "" at <"x">: can\'t give argument to non-function "x"'],
    ['{{range .Name}}{{end}}', 'template: :1:8: executing "" at <.Name>: range can\'t iterate over /web'],
    ['{{nil}}', 'template: :1:2: executing "" at <nil>: nil is not a command'],
    ['{{template "nope"}}', 'template: :1:2: executing "" at <template "nope">: template "nope" not defined'],
  ];
  for (const [tmpl, msg] of table) {
    assert.throws(() => renderTemplate(tmpl, ctr), (e) => isKind(e, 'InvalidArgument') && (e as Error).message === msg, `${tmpl} → ${msg}`);
  }
});
