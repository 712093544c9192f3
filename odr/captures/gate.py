"""The only way out for odr's browser: a SOCKS5 proxy on a loopback port, one per capture.

Chromium is started with `--proxy-server=socks5://127.0.0.1:<port>` and
`--proxy-bypass-list=<-loopback>` (loopback through the proxy too), and resolves no name itself
(`--host-resolver-rules`, see browser.py): with SOCKS5 it hands the proxy the host name. The
gate resolves the name, checks every address (addresses.py), connects to the checked address
and no other, and keeps that address for the rest of the capture (a DNS answer that changes
between the check and the connection, DNS rebinding, changes nothing). A main document, every
redirect, every sub-request and every WebSocket goes through here. It also counts the bytes
the servers send, and cuts every connection once the capture's size limit is passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from odr.captures.addresses import AddressRefused, IPAddress, Resolver, resolve_checked

log = logging.getLogger("odr.captures")

SOCKS_VERSION = 5
CONNECT = 1
# Reply codes (RFC 1928 §6).
SUCCEEDED, NOT_ALLOWED, HOST_UNREACHABLE, COMMAND_NOT_SUPPORTED = 0, 2, 4, 7
HANDSHAKE_TIMEOUT = 10.0
CHUNK = 64 * 1024


@dataclass
class Gate:
    """One capture's way out: what it resolved, connected to and refused, and how much came in."""

    resolver: Resolver
    allow_loopback: bool
    byte_limit: int
    connect_timeout: float = 10.0
    pinned: dict[str, IPAddress] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (host, why)
    received: int = 0
    over_limit: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    def address_of(self, host: str, port: int, record: bool = True) -> IPAddress:
        """The checked address of a host, the same for the whole capture; AddressRefused
        (kept in `refused` when `record`: the gate's own refusals, not the route check's)."""
        with self._lock:
            if host in self.pinned:
                return self.pinned[host]
        try:
            address = resolve_checked(host, port, self.resolver, self.allow_loopback)
        except AddressRefused as exc:
            if record:
                with self._lock:
                    self.refused.append((host, str(exc)))
            raise
        with self._lock:
            return self.pinned.setdefault(host, address)

    def count(self, size: int) -> bool:
        """Add bytes received; False once the limit is passed (the connections are cut)."""
        with self._lock:
            self.received += size
            if self.received > self.byte_limit:
                self.over_limit = True
        return not self.over_limit


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gate: Gate | None
) -> None:
    try:
        while data := await reader.read(CHUNK):
            if gate is not None and not gate.count(len(data)):
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _request(reader: asyncio.StreamReader) -> tuple[str, int]:
    """Read a SOCKS5 greeting and CONNECT request; (host, port) asked for."""
    version, methods = await reader.readexactly(2)
    if version != SOCKS_VERSION:
        raise ValueError("not SOCKS5")
    await reader.readexactly(methods)
    return await _destination(reader)


async def _destination(reader: asyncio.StreamReader) -> tuple[str, int]:
    version, command, _, kind = await reader.readexactly(4)
    if version != SOCKS_VERSION or command != CONNECT:
        raise NotImplementedError("only CONNECT")
    if kind == 1:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif kind == 4:
        host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
    elif kind == 3:
        (length,) = await reader.readexactly(1)
        host = (await reader.readexactly(length)).decode("idna").rstrip(".").lower()
    else:
        raise ValueError("unknown address type")
    (port,) = struct.unpack("!H", await reader.readexactly(2))
    return host, port


def _reply(code: int) -> bytes:
    return bytes([SOCKS_VERSION, code, 0, 1, 0, 0, 0, 0, 0, 0])


class GateServer:
    """The gate served on 127.0.0.1 from a thread of its own, for `with GateServer(gate):`."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="odr-capture-gate")
        self._server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        gate = self.gate
        try:
            writer.write(bytes([SOCKS_VERSION, 0]))  # no authentication
            host, port = await asyncio.wait_for(_request(reader), HANDSHAKE_TIMEOUT)
        except NotImplementedError:
            writer.write(_reply(COMMAND_NOT_SUPPORTED))
            writer.close()
            return
        except (Exception, asyncio.CancelledError):
            writer.close()
            return
        try:
            if gate.over_limit:
                raise AddressRefused("size limit reached")
            address = await self._loop.run_in_executor(None, gate.address_of, host, port)
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(str(address), port), gate.connect_timeout
            )
        except AddressRefused:
            writer.write(_reply(NOT_ALLOWED))
            writer.close()
            return
        except (TimeoutError, OSError) as exc:
            log.info("capture gate: %s:%s unreachable (%s)", host, port, type(exc).__name__)
            writer.write(_reply(HOST_UNREACHABLE))
            writer.close()
            return
        writer.write(_reply(SUCCEEDED))
        gate._writers.update((writer, upstream_writer))
        await asyncio.gather(
            _pipe(reader, upstream_writer, None),
            _pipe(upstream_reader, writer, gate),
        )
        if gate.over_limit:
            for open_writer in list(gate._writers):
                open_writer.close()

    def __enter__(self) -> GateServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop
        ).result()
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self.gate._writers):
                writer.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


@contextlib.contextmanager
def serving(gate: Gate) -> Iterator[GateServer]:
    with GateServer(gate) as server:
        yield server
