"""A kernel websocket connection that survives "Restart Kernel and Run All" right after a notebook opens.

The problem (jupyter_server 2.x, JupyterLab 4, found with ``tests/test_browser.py``): when a learner
restarts the kernel while JupyterLab's first websocket to it is still being set up (the kernel is
starting), JupyterLab opens a second websocket with the same session id.  jupyter_server replaces the
"stale" first connection (``ZMQChannelsWebsocketConnection._register_session`` closes its handler) and
two things go wrong:

1. **Lost kernel.**  Every connection's ZMQ sockets use the session id as their routing identity.  The
   kernel's shell ROUTER refuses a second peer with an identity already connected (libzmq ignores
   duplicate routing ids unless ``ROUTER_HANDOVER`` is set) and keeps routing replies to the first,
   closed peer: the new connection never gets a ``kernel_info_reply`` nor any execution reply, and
   JupyterLab shows the kernel "starting" forever.
2. **Memory blow-up.**  Frames the browser had already sent on the first websocket still arrive after
   its handler was closed.  tornado then has ``ws_connection = None``, so the connection's
   ``subprotocol`` property (which swallows the resulting error, jupyter_server PR #706) answers
   ``None`` and the v1 binary frame (``v1.kernel.websocket.jupyter.org``: an 8-byte little-endian
   offset count) is parsed as the legacy binary format (4-byte big-endian count): 6 reads as
   100,663,296 buffers, ``struct.unpack("!" + "I" * n)`` compiles a 100-million-item format (GBs of
   memory, seconds of a blocked server) and fails with ``struct.error: unpack requires a buffer of
   402653184 bytes``.

:class:`OneIdentityPerConnection` fixes both where they start: each websocket connection gets its own
ZMQ routing identity (the session id plus a random suffix; shell and stdin share it, so ``input()``
still reaches the right peer), and the subprotocol negotiated in the handshake is remembered, so a
closing handler keeps decoding its frames with the protocol they were sent in.  ``make lab`` and the
browser test load it through ``jupyter_server_config.py``; ``tests/test_jupyter_config.py`` checks it
against the installed jupyter_server.
"""

from __future__ import annotations

import uuid

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["OneIdentityPerConnection"]


class OneIdentityPerConnection(ZMQChannelsWebsocketConnection):
    """``ZMQChannelsWebsocketConnection`` with a ZMQ identity per websocket and a remembered subprotocol."""

    negotiated_protocol = None

    @property
    def subprotocol(self):
        """The websocket subprotocol of the handshake, also after the handler was closed."""
        try:
            self.negotiated_protocol = self.websocket_handler.selected_subprotocol
        except Exception:  # closed (or not yet open): tornado's ws_connection is None
            pass
        return self.negotiated_protocol

    def connect(self):
        """Remember the negotiated subprotocol (the handshake is done when the handler opens), then connect."""
        _ = self.subprotocol
        return super().connect()

    def create_stream(self):
        """The four channels of this connection, with a routing identity no other connection shares."""
        identity = self.session.bsession + b"-" + uuid.uuid4().hex.encode("ascii")
        for channel in ("iopub", "shell", "control", "stdin"):
            stream = getattr(self.kernel_manager, "connect_" + channel)(identity=identity)
            stream.channel = channel
            self.channels[channel] = stream
