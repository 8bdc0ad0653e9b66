"""The JupyterLab server settings of ``make lab`` (``tools/jupyter``): the kernel websocket connection that
survives "Restart Kernel and Run All" right after a lecture opens (``tools/jupyter/kernel_websocket.py``).

The browser test (``tests/test_browser.py``) does the restart in Chromium; these tests pin the two
mechanisms without a browser: ZMQ refuses a second peer with a routing identity already in use (why the
kernel looked "starting" forever), and a closed handler must keep its negotiated subprotocol (why a v1
frame was parsed as the legacy format and compiled a 100-million-item ``struct`` format).
"""

from __future__ import annotations

import importlib.util
import struct
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
V1 = "v1.kernel.websocket.jupyter.org"

zmq = pytest.importorskip("zmq")
pytest.importorskip("jupyter_server")


def _module():
    spec = importlib.util.spec_from_file_location("kernel_websocket_under_test",
                                                  ROOT / "tools" / "jupyter" / "kernel_websocket.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_server_config_installs_the_connection_class():
    from traitlets.config.loader import PyFileConfigLoader

    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

    config = PyFileConfigLoader("jupyter_server_config.py", path=str(ROOT / "tools" / "jupyter")).load_config()
    cls = config.ServerApp.kernel_websocket_connection_class
    assert issubclass(cls, ZMQChannelsWebsocketConnection) and cls.__name__ == "OneIdentityPerConnection"


def test_every_connection_of_a_session_gets_its_own_identity():
    cls = _module().OneIdentityPerConnection
    seen = []

    def connector(name):
        def connect(identity):
            seen.append((name, identity))
            return SimpleNamespace()
        return connect

    manager = SimpleNamespace(**{f"connect_{c}": connector(c) for c in ("iopub", "shell", "control", "stdin")})
    for _ in range(2):  # two websockets of the same JupyterLab session (same session id)
        cls.create_stream(SimpleNamespace(session=SimpleNamespace(bsession=b"session-id"), kernel_manager=manager,
                                          channels={}))
    first, second = {i for _, i in seen[:4]}, {i for _, i in seen[4:]}
    assert len(first) == len(second) == 1, "the four channels of one connection share an identity (stdin!)"
    assert first != second and all(i.startswith(b"session-id-") for i in first | second)


def test_a_closed_handler_keeps_the_negotiated_subprotocol():
    cls = _module().OneIdentityPerConnection

    class Handler:
        closed = False

        @property
        def selected_subprotocol(self):
            assert not self.closed  # what tornado does once ws_connection is None
            return V1

    conn = SimpleNamespace(websocket_handler=Handler(), negotiated_protocol=None)
    assert cls.subprotocol.fget(conn) == V1
    conn.websocket_handler.closed = True
    assert cls.subprotocol.fget(conn) == V1  # jupyter_server's own property answers None (legacy) here


def test_a_v1_frame_read_as_legacy_is_what_exploded():
    """The bug's arithmetic: a v1 frame starts with its offset count as 8 bytes little-endian; read as the
    legacy format's 4-byte big-endian count, 6 offsets become 100,663,296 buffers (402,653,184 bytes)."""
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    frame = serialize_msg_to_ws_v1([b"{}", b"{}", b"{}", b"{}"], "shell")
    assert int.from_bytes(frame[:8], "little") == 6
    assert 4 * struct.unpack("!i", frame[:4])[0] == 402_653_184


def test_zmq_ignores_a_second_peer_with_the_same_identity():
    """Why one identity per connection: the kernel's ROUTER neither hears a DEALER whose identity is
    already connected nor answers it; distinct identities are both served."""
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    sockets = [router]
    try:
        def dealer(identity):
            s = ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.IDENTITY, identity)
            s.connect(f"tcp://127.0.0.1:{port}")
            sockets.append(s)
            return s

        first = dealer(b"same")
        first.send(b"hello")
        assert router.recv_multipart() == [b"same", b"hello"]
        second = dealer(b"same")
        time.sleep(0.3)
        second.send(b"hello again")
        assert router.poll(700) == 0, "libzmq now accepts duplicate identities: revisit kernel_websocket.py"
        third = dealer(b"same-1234")
        third.send(b"other identity")
        assert router.recv_multipart(zmq.NOBLOCK if router.poll(2000) else 0) == [b"same-1234", b"other identity"]
    finally:
        for s in sockets:
            s.close(linger=0)
        ctx.term()
