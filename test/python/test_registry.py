"""Registry lookups that pull nothing: GET /distribution/{name}/json (against Berth's registry server,
BERTH_TEST_REGISTRY) and GET /images/search (against a v1 search index this test serves on 127.0.0.1)."""
import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import docker
import pytest

from conftest import IMAGE


def test_distribution_inspect(client, made):
    reg = os.environ['BERTH_TEST_REGISTRY']
    repo = f'{reg}/pytest-dist-{uuid.uuid4().hex[:6]}'
    client.images.get(IMAGE).tag(repo, 'v1')
    made.images.append(f'{repo}:v1')
    for line in client.images.push(repo, 'v1', stream=True, decode=True):
        assert 'error' not in line, line
    pushed = [d for d in client.images.get(f'{repo}:v1').attrs['RepoDigests'] if d.startswith(repo)]
    data = client.images.get_registry_data(f'{repo}:v1')
    assert f'{repo}@{data.id}' == pushed[0]
    desc = data.attrs['Descriptor']
    assert desc['mediaType'] in ('application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json')
    assert desc['size'] > 0
    arch = client.images.get(IMAGE).attrs['Architecture']
    assert data.has_platform(f'linux/{arch}')
    with pytest.raises(docker.errors.NotFound):
        client.images.get_registry_data(f'{repo}:nosuchtag')


class Index(BaseHTTPRequestHandler):
    queries = []

    def do_GET(self):
        Index.queries.append(self.path)
        results = [
            {'name': 'team/tool', 'star_count': 12, 'is_official': False, 'is_automated': True, 'description': 'a tool'},
            {'name': 'tool', 'star_count': 2, 'is_official': True, 'is_automated': False, 'description': 'the tool'},
        ]
        body = json.dumps({'query': 'tool', 'num_results': 2, 'results': results}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def index():
    srv = HTTPServer(('127.0.0.1', 0), Index)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f'127.0.0.1:{srv.server_port}'
    srv.shutdown()


def test_search(client, index):
    Index.queries.clear()
    found = client.images.search(f'{index}/tool')
    assert [r['name'] for r in found] == ['team/tool', 'tool']
    assert all(r['is_automated'] is False for r in found)
    assert Index.queries == ['/v1/search?q=tool&n=25']
    res = client.api._result(client.api._get(client.api._url('/images/search'), params={
        'term': f'{index}/tool', 'limit': 5, 'filters': json.dumps({'stars': ['3']})}), True)
    assert [r['name'] for r in res] == ['team/tool']
    assert Index.queries[-1] == '/v1/search?q=tool&n=5'
    with pytest.raises(docker.errors.APIError) as e:
        client.api._raise_for_status(client.api._get(client.api._url('/images/search'), params={'term': 'x', 'limit': 101}))
    assert e.value.status_code == 400
