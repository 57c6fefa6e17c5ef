"""Failures injected by the emulator (or a dead port) come out classified and short."""
from __future__ import annotations

import asyncio
import email.utils
import socket
import threading
import time

import kmock
import pytest
import urllib3.exceptions
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from ..builders import Obj, generic, odoo
from ..connection import api_client_from_token
from ..errors import Conflict, KubeError, NotFound, PermanentError, RetryableError, translate
from ..operations import Kube
from .factories import NAMESPACE, make_spec
from .kmock_server import MockCluster, free_port

SECRET: Obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": NAMESPACE}}
SECRET_PATH = f"/api/v1/namespaces/{NAMESPACE}/secrets/s"


def _status(code: int, reason: str, message: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Status", "status": "Failure", "code": code,
            "reason": reason, "message": message, "details": {"causes": [{"message": "BODY-ONLY"}]}}


@pytest.mark.parametrize(
    ("code", "reason", "error_class"),
    [
        (400, "BadRequest", PermanentError),
        (401, "Unauthorized", PermanentError),
        (403, "Forbidden", PermanentError),
        (409, "Conflict", Conflict),
        (422, "Invalid", PermanentError),
        (429, "TooManyRequests", RetryableError),
        (500, "InternalError", RetryableError),
        (503, "ServiceUnavailable", RetryableError),
    ],
)
def test_http_errors_are_classified(kube: Kube, cluster: MockCluster, code: int, reason: str,
                                    error_class: type[KubeError]) -> None:
    cluster.emulator[f"get {SECRET_PATH}"] << code << _status(code, reason, "it went wrong")
    with pytest.raises(error_class) as info:
        kube.read(SECRET)
    error = info.value
    assert error.status == code
    assert str(error) == f"Secret {NAMESPACE}/s: HTTP {code} {reason}: it went wrong"
    assert isinstance(error, RetryableError) is (code in (409, 429, 500, 503))
    assert isinstance(error.__cause__, ApiException)


def test_not_found_is_permanent_but_read_and_delete_accept_it(kube: Kube) -> None:
    assert kube.read(SECRET) is None
    assert kube.delete(SECRET) is False
    assert issubclass(NotFound, PermanentError)


def test_429_carries_retry_after_seconds(kube: Kube, cluster: MockCluster) -> None:
    cluster.emulator[f"get {SECRET_PATH}"] << 429 << kmock.headers({"Retry-After": "7"}) << _status(
        429, "TooManyRequests", "slow down")
    with pytest.raises(RetryableError) as info:
        kube.read(SECRET)
    assert info.value.retry_after == 7.0
    assert len(cluster.requests()) == 1  # the client itself did not wait and retry


def test_503_carries_retry_after_from_an_http_date(kube: Kube, cluster: MockCluster) -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    cluster.emulator[f"get {SECRET_PATH}"] << 503 << kmock.headers({"Retry-After": when}) << _status(
        503, "ServiceUnavailable", "restarting")
    with pytest.raises(RetryableError) as info:
        kube.read(SECRET)
    assert info.value.retry_after is not None and 100 < info.value.retry_after <= 120


def test_500_without_retry_after(kube: Kube, cluster: MockCluster) -> None:
    cluster.emulator[f"get {SECRET_PATH}"] << 500 << b"<html>proxy error</html>"
    with pytest.raises(RetryableError) as info:
        kube.read(SECRET)
    assert info.value.retry_after is None
    assert str(info.value) == f"Secret {NAMESPACE}/s: HTTP 500 Internal Server Error"


def test_conflict_while_patching_is_retryable(kube: Kube, cluster: MockCluster) -> None:
    spec = make_spec("none")
    kube.ensure(generic.deployment(spec))
    path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/app"
    cluster.emulator[f"patch {path}"] << 409 << _status(409, "Conflict", "the object has been modified")
    with pytest.raises(Conflict) as info:
        kube.ensure(generic.deployment(make_spec("none", image="nginx:2")))
    assert isinstance(info.value, RetryableError)


def test_invalid_object_on_create_is_permanent(kube: Kube, cluster: MockCluster) -> None:
    path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"
    cluster.emulator[f"post {path}"] << 422 << _status(422, "Invalid", 'Deployment.apps "app" is invalid')
    with pytest.raises(PermanentError) as info:
        kube.ensure(generic.deployment(make_spec("none")))
    assert info.value.status == 422


def test_messages_are_short_and_leave_the_body_out(kube: Kube, cluster: MockCluster) -> None:
    cluster.emulator[f"get {SECRET_PATH}"] << 400 << _status(400, "BadRequest", "x" * 5000)
    with pytest.raises(PermanentError) as info:
        kube.read(SECRET)
    assert len(str(info.value)) < 300
    assert "BODY-ONLY" not in str(info.value)


def test_a_slow_server_times_out_as_retryable(api_client: ApiClient, cluster: MockCluster) -> None:
    async def slow() -> Obj:
        await asyncio.sleep(2)
        return SECRET

    cluster.emulator[f"get {SECRET_PATH}"] << slow
    with pytest.raises(RetryableError, match="did not answer in time") as info:
        Kube(api_client, timeout=0.1).read(SECRET)
    assert info.value.status is None


def test_a_closed_port_is_retryable() -> None:
    kube = Kube(api_client_from_token(f"http://127.0.0.1:{free_port()}", "token"), timeout=1)
    with pytest.raises(RetryableError, match="cannot reach the API server") as info:
        kube.ensure(odoo.service(make_spec("odoo")))
    assert info.value.status is None


def test_a_body_cut_short_is_retryable() -> None:
    """A server that sends its headers, then less body than announced, and closes."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def answer_short() -> None:
            connection, _address = server.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: 100\r\n\r\n{\"kind\"")

        thread = threading.Thread(target=answer_short)
        thread.start()
        kube = Kube(api_client_from_token(f"http://127.0.0.1:{port}", "token"), timeout=2)
        with pytest.raises(RetryableError, match="cannot reach the API server"):
            kube.read(SECRET)
        thread.join()


def test_tls_failure_reported_by_the_client_is_permanent() -> None:
    error = translate(ApiException(status=0, reason="SSLError\ncertificate verify failed"), "API server")
    assert type(error) is PermanentError
    assert str(error) == "API server: TLS error talking to the API server"


# The pool an error comes from (never connected): typed urllib3 2.x wants one, 1.26 accepts it.
_POOL = urllib3.HTTPConnectionPool("127.0.0.1")


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (urllib3.exceptions.MaxRetryError(_POOL, "/api", urllib3.exceptions.ReadTimeoutError(_POOL, "/api", "t")),
         "API server: the API server did not answer in time"),
        (urllib3.exceptions.ProtocolError("Connection aborted."),
         "API server: cannot reach the API server (ProtocolError)"),
        (ConnectionResetError(104, "reset"), "API server: cannot reach the API server (ConnectionResetError)"),
    ],
)
def test_connection_failures_are_retryable(exc: Exception, message: str) -> None:
    error = translate(exc, "API server")
    assert type(error) is RetryableError
    assert str(error) == message
