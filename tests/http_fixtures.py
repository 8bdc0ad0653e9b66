"""A loopback HTTP file server that injects faults, for the download tests (no network needed).

``http.server`` in a thread on 127.0.0.1, port 0, serving synthetic IDX gz files; per file it can answer
good / truncated / corrupted / wrong-checksum / dropped halfway / stalled / slow / 404, or ``oversize``
(the file followed by :attr:`FaultServer.oversize_bytes` junk bytes, with or without a
``Content-Length``).  ``sent[name]`` counts the body bytes the client accepted (final once ``name`` is in
``finished``).  The server stops itself
after a bounded time.
"""

from __future__ import annotations

import gzip
import http.server
import socket
import threading
import time

from idx_fixtures import gz

SERVER_LIFETIME = 60.0  # seconds; the server shuts itself down after this even if a test hangs


class FaultServer:
    """Loopback file server; ``mode[name]`` picks the behaviour for one file name."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.mode: dict[str, str] = {}
        self.requests: list[str] = []
        self.stall_seconds = 1.5
        self.oversize_bytes = 64 << 20
        self.sent: dict[str, int] = {}
        self.finished: set[str] = set()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 10  # bounded per connection

            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                owner.requests.append(name)
                body = owner.files.get(name)
                mode = owner.mode.get(name, "good")
                if body is None or mode == "404":
                    self.send_error(404, "no such file")
                    return
                if mode == "truncated":
                    body = body[: len(body) // 2]
                elif mode == "corrupted":
                    mid = len(body) // 2
                    body = body[:mid] + bytes(b ^ 0x5A for b in body[mid:mid + 64]) + body[mid + 64:]
                elif mode == "wrong":
                    body = gz(gzip.decompress(body)[:-1] + b"\x07")  # valid IDX, other content
                total = len(body) + (owner.oversize_bytes if mode.startswith("oversize") else 0)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if mode != "oversize-no-length":
                    self.send_header("Content-Length", str(total))
                else:
                    self.close_connection = True
                self.end_headers()
                try:
                    if mode.startswith("oversize"):
                        owner.sent[name] = 0
                        junk = bytes(1 << 16)
                        for piece in [body] + [junk] * (owner.oversize_bytes >> 16):
                            self.wfile.write(piece)
                            owner.sent[name] += len(piece)
                    elif mode == "drop":
                        self.wfile.write(body[: len(body) // 2])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                    elif mode == "stall":
                        self.wfile.write(body[:100])
                        self.wfile.flush()
                        time.sleep(owner.stall_seconds)
                        self.wfile.write(body[100:])
                    elif mode == "slow":
                        for i in range(0, len(body), 4096):
                            self.wfile.write(body[i:i + 4096])
                            self.wfile.flush()
                            time.sleep(0.01)
                    else:
                        self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)
                finally:
                    owner.finished.add(name)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.watchdog = threading.Timer(SERVER_LIFETIME, self.httpd.shutdown)
        self.watchdog.daemon = True

    def __enter__(self):
        self.thread.start()
        self.watchdog.start()
        return self

    def __exit__(self, *exc):
        self.watchdog.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
