"""Fixtures for Berth's docker-py tests: a client of the berthd that test/docker-py.test.ts started
(BERTH_TEST_HOST), which has a busybox:latest image. Every test removes what it made."""
import os

import docker
import pytest

IMAGE = 'busybox:latest'


@pytest.fixture
def client():
    c = docker.DockerClient(base_url=os.environ['BERTH_TEST_HOST'], version='1.41', timeout=60)
    yield c
    c.close()


class Tracker:
    """Names of what a test made, removed afterwards (also when the test failed)."""

    def __init__(self, client):
        self.client = client
        self.containers = []
        self.images = []
        self.networks = []

    def container(self, c):
        self.containers.append(c.id if hasattr(c, 'id') else c['Id'] if isinstance(c, dict) else c)
        return c

    def cleanup(self):
        for cid in self.containers:
            try:
                self.client.api.remove_container(cid, force=True)
            except docker.errors.APIError:
                pass
        for img in self.images:
            try:
                self.client.api.remove_image(img, force=True)
            except docker.errors.APIError:
                pass
        for net in self.networks:
            try:
                self.client.api.remove_network(net)
            except docker.errors.APIError:
                pass


@pytest.fixture
def made(client):
    t = Tracker(client)
    yield t
    t.cleanup()
