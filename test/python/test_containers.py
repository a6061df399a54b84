"""containers.run output and log drivers, kill, wait with restart policies, rm, commit."""
import docker
import pytest
from docker.types import LogConfig

from conftest import IMAGE


def test_run_returns_output(client, made):
    # docker-py reads the output back through the logs, only for the json-file/journald drivers
    assert client.containers.run(IMAGE, 'echo hello', remove=True) == b'hello\n'
    out = client.containers.run(IMAGE, ['sh', '-c', 'echo out; echo err >&2'], stderr=True, stdout=False, remove=True)
    assert out == b'err\n'


def test_default_log_driver_is_json_file(client, made):
    c = made.container(client.containers.create(IMAGE, 'true'))
    # Config holds the daemon's log-opts (the test daemon sets max-size and max-file)
    assert c.attrs['HostConfig']['LogConfig']['Type'] == 'json-file'
    assert client.info()['LoggingDriver'] == 'json-file'


def test_log_options_are_checked(client, made):
    c = made.container(client.containers.create(IMAGE, 'true', log_config=LogConfig(type='json-file', config={'max-size': '1m', 'max-file': '2'})))
    assert c.attrs['HostConfig']['LogConfig'] == {'Type': 'json-file', 'Config': {'max-size': '1m', 'max-file': '2'}}
    with pytest.raises(docker.errors.APIError) as e:
        client.containers.create(IMAGE, 'true', log_config=LogConfig(type='json-file', config={'colour': 'red'}))
    assert e.value.status_code == 400
    assert e.value.explanation == "unknown log opt 'colour' for json-file log driver"


def test_unknown_log_driver_is_refused(client, made):
    before = {c.id for c in client.containers.list(all=True)}
    with pytest.raises(docker.errors.APIError) as e:
        client.api.create_container(IMAGE, 'true', host_config=client.api.create_host_config(log_config={'Type': 'splunk-ish'}))
    assert e.value.status_code == 400
    assert e.value.explanation == "logger: no log driver named 'splunk-ish' is registered"
    assert {c.id for c in client.containers.list(all=True)} == before


def test_none_log_driver(client, made):
    c = made.container(client.containers.run(IMAGE, 'echo gone', detach=True, log_config=LogConfig(type='none')))
    assert c.wait(timeout=30)['StatusCode'] == 0
    c.reload()
    assert c.attrs['HostConfig']['LogConfig']['Type'] == 'none'
    with pytest.raises(docker.errors.APIError) as e:
        c.logs()
    assert e.value.status_code == 501
    assert e.value.explanation == 'configured logging driver does not support reading'
    # containers.run has no output to give back with this driver
    assert client.containers.run(IMAGE, 'echo x', remove=True, log_config=LogConfig(type='none')) is None


def test_kill_returns_after_the_exit(client, made):
    c = made.container(client.containers.run(IMAGE, 'sleep 300', detach=True))
    c.kill()
    c.reload()
    assert c.status == 'exited'
    assert c.attrs['State']['ExitCode'] == 137
    c.remove()  # no force needed: it has stopped
    made.containers.remove(c.id)


def test_wait_on_always_returns_at_the_first_exit(client, made):
    c = made.container(client.containers.run(IMAGE, ['sh', '-c', 'sleep 1; exit 3'], detach=True, restart_policy={'Name': 'always'}))
    assert c.wait(timeout=30) == {'StatusCode': 3, 'Error': None}
    with pytest.raises(docker.errors.APIError) as e:
        c.remove()
    assert e.value.status_code == 409
    assert 'stop the container before' in e.value.explanation


@pytest.mark.parametrize('policy', [{'Name': 'on-failure', 'MaximumRetryCount': 2}, {'Name': 'unless-stopped'}, {'Name': 'no'}])
def test_wait_with_other_policies(client, made, policy):
    c = made.container(client.containers.run(IMAGE, ['sh', '-c', 'sleep 1; exit 5'], detach=True, restart_policy=policy))
    assert c.wait(timeout=30)['StatusCode'] == 5


def test_commit_of_a_stopped_container_with_pause(client, made):
    c = made.container(client.containers.run(IMAGE, ['sh', '-c', 'echo kept > /committed'], detach=True))
    c.wait(timeout=30)
    img = c.commit('berth-pytest-commit', 'v1')  # pause=True is docker-py's default
    made.images.append(img.id)
    assert client.containers.run(img.id, 'cat /committed', remove=True) == b'kept\n'


def test_commit_right_after_start(client, made):
    # the container may exit between the daemon's look at it and the pause
    for _ in range(3):
        c = made.container(client.api.create_container(IMAGE, ['touch', '/t']))
        client.api.start(c)
        res = client.api.commit(c['Id'])
        made.images.append(res['Id'])
