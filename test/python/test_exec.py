"""Exec: the demux cases of docker-py, a real pty for Tty, and the detach keys."""
import socket
import time

import pytest

from conftest import IMAGE

CMD = ['sh', '-c', 'echo hello out; sleep 1; echo hello err >&2']


@pytest.fixture
def box(client, made):
    # as docker-py's ExecDemuxTest: the container itself has no tty
    return made.container(client.containers.run(IMAGE, 'cat', detach=True, stdin_open=True))


@pytest.mark.parametrize('tty,stream,demux,expected', [
    (False, False, False, b'hello out\nhello err\n'),
    (False, False, True, (b'hello out\n', b'hello err\n')),
    (True, False, False, b'hello out\r\nhello err\r\n'),
    (True, False, True, (b'hello out\r\nhello err\r\n', None)),
])
def test_exec_demux_no_stream(client, box, tty, stream, demux, expected):
    ex = client.api.exec_create(box.id, CMD, tty=tty)
    # like docker-py's tests: the start does not repeat tty=True, the exec's create decides
    assert client.api.exec_start(ex, stream=stream, demux=demux) == expected


@pytest.mark.parametrize('tty,demux,expected', [
    (False, False, [b'hello out\n', b'hello err\n']),
    (False, True, [(b'hello out\n', None), (None, b'hello err\n')]),
    (True, False, [b'hello out\r\n', b'hello err\r\n']),
    (True, True, [(b'hello out\r\n', None), (b'hello err\r\n', None)]),
])
def test_exec_demux_stream(client, box, tty, demux, expected):
    ex = client.api.exec_create(box.id, CMD, tty=tty)
    assert list(client.api.exec_start(ex, stream=True, demux=demux)) == expected


def test_exec_tty_is_a_pty(client, box):
    code, out = box.exec_run(['sh', '-c', 'tty; stty size 2>/dev/null || stty -a 2>/dev/null | head -1'], tty=True)
    assert code == 0
    assert out.startswith(b'/dev/pts/')
    assert out.endswith(b'\r\n')
    code, out = box.exec_run(['tty'])
    assert out == b'not a tty\n'


def sock_of(s):
    return s._sock if hasattr(s, '_sock') else s


def detached(sock):
    """True once the daemon has closed the connection (what a client sees after a detach)."""
    sock.settimeout(10)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (socket.timeout, OSError):
        return False


@pytest.mark.parametrize('keys,send', [(None, [b'\x10', b'\x11']), ('ctrl-x', [b'\x18']), ('ctrl-p', [b'\x10'])])
def test_exec_detach_keys(client, box, keys, send):
    if keys:
        client.api._general_configs['detachKeys'] = keys
    try:
        ex = client.api.exec_create(box.id, 'cat', stdin=True, tty=True, stdout=True)
    finally:
        client.api._general_configs.pop('detachKeys', None)
    s = sock_of(client.api.exec_start(ex, tty=True, socket=True))
    try:
        s.sendall(b'echo\n')
        time.sleep(0.3)
        for k in send:
            s.sendall(k)
            time.sleep(0.3)
        assert detached(s)
    finally:
        s.close()
    box.reload()
    assert box.status == 'running'


def test_exec_without_tty_ignores_detach_keys(client, box):
    ex = client.api.exec_create(box.id, ['head', '-c', '4'], stdin=True, tty=False)
    s = sock_of(client.api.exec_start(ex, socket=True))
    try:
        s.sendall(b'\x10\x11ok')
        s.settimeout(10)
        data = b''
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    # one stdout frame: header then the four bytes, detach keys included
    assert data[8:] == b'\x10\x11ok'
