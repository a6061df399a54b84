"""Legacy links (their variables, removing one), MAC addresses, user networks."""
import uuid

import docker
import pytest

from conftest import IMAGE


def name(prefix):
    return f'{prefix}-{uuid.uuid4().hex[:8]}'


def test_link_sets_the_legacy_variables(client, made):
    db = name('db')
    made.container(client.api.create_container(IMAGE, 'sleep 300', name=db, ports=[80, (53, 'udp')], environment={'FOO': 'bar baz'}))
    client.api.start(db)
    ip = client.api.inspect_container(db)['NetworkSettings']['IPAddress']
    web = name('web')
    out = client.containers.run(IMAGE, 'env', name=web, links={db: 'my-db'}, remove=True).decode()
    env = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    assert env['MY_DB_NAME'] == f'/{web}/my-db'
    assert env['MY_DB_PORT'] == f'tcp://{ip}:80'
    assert env['MY_DB_PORT_80_TCP'] == f'tcp://{ip}:80'
    assert env['MY_DB_PORT_80_TCP_ADDR'] == ip
    assert env['MY_DB_PORT_80_TCP_PORT'] == '80'
    assert env['MY_DB_PORT_80_TCP_PROTO'] == 'tcp'
    assert env['MY_DB_PORT_53_UDP'] == f'udp://{ip}:53'
    assert env['MY_DB_ENV_FOO'] == 'bar baz'
    assert 'MY_DB_ENV_PATH' not in env


def test_exec_gets_the_link_variables(client, made):
    db = name('db')
    made.container(client.api.create_container(IMAGE, 'sleep 300', name=db, ports=[5432]))
    client.api.start(db)
    ip = client.api.inspect_container(db)['NetworkSettings']['IPAddress']
    web = made.container(client.containers.run(IMAGE, 'sleep 300', name=name('web'), links={db: 'pg'}, detach=True))
    code, out = web.exec_run('env')
    assert code == 0
    env = dict(line.split('=', 1) for line in out.decode().splitlines() if '=' in line)
    assert env['PG_PORT_5432_TCP_ADDR'] == ip
    assert env['PG_NAME'] == f'/{web.name}/pg'
    # an exec's own variables still win
    code, out = web.exec_run('sh -c "echo $PG_NAME"', environment={'PG_NAME': 'mine'})
    assert out == b'mine\n'


def test_remove_link(client, made):
    db = name('db')
    made.container(client.containers.run(IMAGE, 'sleep 300', name=db, detach=True))
    web = name('web')
    made.container(client.containers.create(IMAGE, 'sleep 300', name=web, links={db: 'mylink'}))
    assert client.api.inspect_container(web)['HostConfig']['Links'] == [f'/{db}:/{web}/mylink']
    client.api.remove_container(f'{web}/mylink', link=True)
    assert not client.api.inspect_container(web)['HostConfig']['Links']
    # both containers are still there; the link is gone
    client.api.inspect_container(db)
    with pytest.raises(docker.errors.NotFound):
        client.api.remove_container(f'{web}/mylink', link=True)


def test_mac_address_at_create(client, made):
    mac = '02:42:ac:11:00:99'
    out = client.containers.run(IMAGE, 'cat /sys/class/net/eth0/address', mac_address=mac, remove=True)
    assert out == f'{mac}\n'.encode()
    c = made.container(client.containers.run(IMAGE, 'sleep 300', mac_address=mac, detach=True))
    c.reload()
    assert c.attrs['NetworkSettings']['MacAddress'] == mac


def test_mac_address_of_an_endpoint(client, made):
    net = name('net')
    client.networks.create(net)
    made.networks.append(net)
    mac = '02:42:0a:0b:0c:0d'
    c = made.container(client.api.create_container(IMAGE, 'cat /sys/class/net/eth0/address', host_config=client.api.create_host_config(network_mode=net),
                                                   networking_config={'EndpointsConfig': {net: {'MacAddress': mac}}}))
    client.api.start(c)
    assert client.api.wait(c, timeout=30)['StatusCode'] == 0
    assert client.api.logs(c) == f'{mac}\n'.encode()


def test_user_network_connect_and_names(client, made):
    net = name('net')
    n = client.networks.create(net)
    made.networks.append(net)
    srv = name('srv')
    s = made.container(client.containers.run(IMAGE, ['httpd', '-f', '-p', '80', '-h', '/etc'], name=srv, detach=True, network=net))
    out = client.containers.run(IMAGE, ['wget', '-qO-', f'http://{srv}/hostname'], network=net, remove=True)
    assert out.strip() == s.id[:12].encode()
    other = made.container(client.containers.run(IMAGE, 'sleep 300', detach=True))
    n.connect(other)
    n.reload()
    assert {c.id for c in n.containers} == {s.id, other.id}
    n.disconnect(other)
    n.reload()
    assert {c.id for c in n.containers} == {s.id}
