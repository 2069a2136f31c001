"""Requests on kept-alive http.client connections (kubesched.kube.connections): the TLS
settings of the official client's pool (CA, client certificate), connection reuse, a
connection the server closed while idle, and the settings that keep a request on urllib3."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3

from kubesched.cluster.certs import ADMIN, write_pki
from kubesched.kube import ApiError, connect_with_files
from kubesched.kube.connections import for_pool


class TlsServer:
    """HTTPS on 127.0.0.1 with the PKI's apiserver certificate, asking for a client
    certificate; answers the peer's certificate subject and counts connections."""

    def __init__(self, pki, *, close_after_each: bool = False):
        self.connections = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                server.connections += 1
                super().setup()

            def do_GET(self):
                peer = self.connection.getpeercert() or {}
                subject = dict(item[0] for item in peer.get("subject", ()))
                data = json.dumps({"user": subject.get("commonName")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                if close_after_each:  # as a server closes an idle connection: no word said
                    self.close_connection = True

            def log_message(self, *args):
                pass

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca.cert))
        context.load_cert_chain(str(pki.apiserver.cert), str(pki.apiserver.key))
        context.verify_mode = ssl.CERT_OPTIONAL
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.socket = context.wrap_socket(self.http.socket, server_side=True)
        self.url = "https://127.0.0.1:%d" % self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return write_pki(tmp_path_factory.mktemp("pki"), (ADMIN,))


@pytest.fixture
def tls_server(pki):
    server = TlsServer(pki)
    yield server
    server.close()


def admin_client(pki, url):
    admin = pki.client(ADMIN)
    return connect_with_files(url, ca=str(pki.ca.cert), cert=str(admin.cert), key=str(admin.key))


def test_requests_verify_the_server_present_the_client_certificate_and_reuse_one_connection(pki, tls_server):
    kube = admin_client(pki, tls_server.url)
    assert kube._lean(kube.credentials.current()) is not None  # not through urllib3
    answers = [kube.request("GET", "/api/v1/namespaces/default") for _ in range(3)]
    assert answers == [{"user": ADMIN.user}] * 3
    assert tls_server.connections == 1


def test_a_server_of_another_authority_is_refused(tmp_path, pki, tls_server):
    other = write_pki(tmp_path / "other", (ADMIN,))
    kube = connect_with_files(tls_server.url, ca=str(other.ca.cert))
    with pytest.raises(ApiError) as refused:
        kube.request("GET", "/api/v1/namespaces/default")
    assert refused.value.status == 0 and "CERTIFICATE_VERIFY_FAILED" in str(refused.value)


def test_a_connection_the_server_closed_while_idle_is_replaced(pki):
    server = TlsServer(pki, close_after_each=True)
    try:
        kube = admin_client(pki, server.url)
        for _ in range(3):
            assert kube.request("GET", "/x") == {"user": ADMIN.user}
        assert server.connections == 3
    finally:
        server.close()


def test_settings_not_applied_here_keep_requests_on_urllib3():
    assert for_pool("https://h:6443", urllib3.ProxyManager("http://proxy:3128"), 4) is None
    assert for_pool("https://h:6443", urllib3.PoolManager(server_hostname="other"), 4) is None
    assert for_pool("https://h:6443", urllib3.PoolManager(cert_reqs=ssl.CERT_REQUIRED), 4) is not None
