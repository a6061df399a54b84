"""Swarm-mode and plugin endpoints answer as Docker's do on a node outside any swarm, with no plugins."""
import docker
import pytest

NOT_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
               'to connect this node to swarm and try again.')


def test_leave_without_swarm(client):
    with pytest.raises(docker.errors.APIError) as e:
        client.api.leave_swarm()
    assert e.value.status_code == 503
    assert e.value.explanation == 'This node is not part of a swarm'
    # docker-py's own test teardown: force=True treats that answer as done
    assert client.api.leave_swarm(force=True) is True


@pytest.mark.parametrize('call', [
    lambda c: c.api.inspect_swarm(),
    lambda c: c.api.get_unlock_key(),
    lambda c: c.nodes.list(),
    lambda c: c.services.list(),
    lambda c: c.api.tasks(),
    lambda c: c.secrets.list(),
    lambda c: c.configs.list(),
    lambda c: c.api.inspect_node('x'),
    lambda c: c.api.remove_service('x'),
])
def test_manager_endpoints_without_swarm(client, call):
    with pytest.raises(docker.errors.APIError) as e:
        call(client)
    assert e.value.status_code == 503
    assert e.value.explanation == NOT_MANAGER


def test_info_says_inactive(client):
    swarm = client.info()['Swarm']
    assert swarm['LocalNodeState'] == 'inactive'
    assert swarm['ControlAvailable'] is False


def test_no_plugins(client):
    assert client.plugins.list() == []
    with pytest.raises(docker.errors.NotFound) as e:
        client.plugins.get('vieux/sshfs:latest')
    assert e.value.explanation == 'plugin "vieux/sshfs:latest" not found'
    with pytest.raises(docker.errors.NotFound):
        client.api.remove_plugin('nope')
    with pytest.raises(docker.errors.NotFound):
        client.api.enable_plugin('nope')
