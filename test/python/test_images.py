"""docker load of broken archives: an error in the stream (ImageLoadError), nothing loaded."""
import io
import uuid

import docker
import pytest

from conftest import IMAGE


def test_load_of_a_non_tar(client):
    before = {i.id for i in client.images.list(all=True)}
    with pytest.raises(docker.errors.ImageLoadError):
        client.images.load(b'this is not a tar archive at all' * 100)
    assert {i.id for i in client.images.list(all=True)} == before


def test_load_of_an_empty_tar(client):
    with pytest.raises(docker.errors.ImageLoadError):
        client.images.load(b'\0' * 1024)


def test_load_of_a_truncated_archive(client, made):
    tag = f'berth-pytest-load-{uuid.uuid4().hex[:8]}:v1'
    c = made.container(client.containers.run(IMAGE, ['sh', '-c', 'head -c 300000 /dev/urandom > /blob'], detach=True))
    c.wait(timeout=30)
    img = c.commit(*tag.split(':'))
    whole = b''.join(img.save())
    client.images.remove(img.id)
    for cut in (len(whole) // 4, len(whole) // 2):
        with pytest.raises(docker.errors.ImageLoadError):
            client.images.load(whole[:cut])
        with pytest.raises(docker.errors.ImageNotFound):
            client.images.get(tag)
        with pytest.raises(docker.errors.ImageNotFound):
            client.images.get(img.id)
    loaded = client.images.load(whole)
    made.images.append(img.id)
    assert [i.id for i in loaded] == [img.id]
