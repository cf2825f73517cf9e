"""The local stack's port picker never hands out one port twice, even when the OS offers it again."""

from __future__ import annotations

import socket
from typing import Any

from infra.local import processes


def test_a_port_the_os_offers_again_is_not_handed_out_twice(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    offered = iter([47001, 47001, 47001, 47002])  # the OS gives a just-released port back, as it did to the demo

    class Socket:
        def __init__(self, *_: Any) -> None:
            self.port = next(offered)

        def __enter__(self) -> Socket:
            return self

        def __exit__(self, *_: Any) -> None:
            return None

        def bind(self, _: Any) -> None:
            return None

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(processes, "_HANDED_OUT", set())
    monkeypatch.setattr(processes.socket, "socket", Socket)
    assert [processes.free_port(), processes.free_port()] == [47001, 47002]


def test_ports_are_real_and_distinct() -> None:
    ports = [processes.free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))  # free when handed out
