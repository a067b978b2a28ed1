"""The ground station's web server (aiohttp): the page, its static files, the latest camera frame and a
websocket that pushes snapshots and takes the operator's instructions.

    state = StationState(cfg)
    server = GroundStationServer(state, publish=lambda text: ..., config=cfg).start()   # own thread + loop
    print(server.url); ...; server.stop()

make_app() is the same application without the thread, for aiohttp's test client.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from pathlib import Path
from typing import Any, Callable, Optional

from aiohttp import WSMsgType, web

from geotext_ros.ground_station.config import GroundStationConfig
from geotext_ros.ground_station.state import StationState
from geotext_ros.ground_station.validation import Rejected, host_allowed, origin_allowed, parse_client_message

STATIC = Path(__file__).resolve().parent / "static"
LOG = logging.getLogger("geotext_ros.ground_station")
# The page loads nothing from elsewhere (the drone's network has no internet) and runs no inline script.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
STATE_KEY = web.AppKey("state", StationState)
CONFIG_KEY = web.AppKey("config", GroundStationConfig)
PUBLISH_KEY = web.AppKey("publish", Callable[[str], None])
SOCKETS_KEY = web.AppKey("sockets", set)
TASK_KEY = web.AppKey("broadcast", asyncio.Task)


def make_app(state: StationState, publish: Callable[[str], None], config: GroundStationConfig) -> web.Application:
    """The web application; `publish(text)` sends one validated instruction (to /instruction)."""
    app = web.Application(middlewares=[_host_guard], client_max_size=config.max_message_bytes)
    app[STATE_KEY], app[CONFIG_KEY], app[PUBLISH_KEY], app[SOCKETS_KEY] = state, config, publish, set()
    app.router.add_get("/", _index)
    app.router.add_get("/frame.jpg", _frame)
    app.router.add_get("/ws", _websocket)
    app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
    app.on_startup.append(_start_broadcast)
    app.on_shutdown.append(_close_sockets)
    return app


@web.middleware
async def _host_guard(request: web.Request, handler: Callable) -> web.StreamResponse:
    cfg = request.app[CONFIG_KEY]
    if not host_allowed(request.host, cfg.host, cfg.extra_hosts):
        return web.Response(status=421, text=f"host {request.host[:80]!r} is not served here; add it to "
                                             "ground_station.allowed_hosts if it names this machine")
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def _frame(request: web.Request) -> web.Response:
    jpeg, seq = request.app[STATE_KEY].frame()
    if jpeg is None:
        return web.Response(status=204)
    return web.Response(body=jpeg, content_type="image/jpeg", headers={"X-Frame-Seq": str(seq)})


async def _websocket(request: web.Request) -> web.StreamResponse:
    cfg, state = request.app[CONFIG_KEY], request.app[STATE_KEY]
    if not origin_allowed(request.headers.get("Origin"), request.host):
        return web.Response(status=403, text="websocket refused: Origin must be this server's own page")
    ws = web.WebSocketResponse(max_msg_size=cfg.max_message_bytes, heartbeat=10.0)
    await ws.prepare(request)
    sockets = request.app[SOCKETS_KEY]
    sockets.add(ws)
    try:
        await ws.send_str(_dumps(state.snapshot()))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(_dumps(_handle(request.app, msg.data)))
            elif msg.type == WSMsgType.BINARY:
                await ws.send_str(_dumps({"type": "rejected", "reason": "only text messages are accepted"}))
            elif msg.type == WSMsgType.ERROR:   # e.g. a message over max_message_bytes: aiohttp closes (1009)
                LOG.warning("ground station websocket closed: %s", ws.exception())
    finally:
        sockets.discard(ws)
    return ws


def _handle(app: web.Application, raw: str) -> dict[str, Any]:
    cfg, state = app[CONFIG_KEY], app[STATE_KEY]
    try:
        out = parse_client_message(raw, cfg.max_instruction_chars, state.status().get("candidates"))
    except Rejected as e:
        return {"type": "rejected", "reason": str(e)}
    app[PUBLISH_KEY](out.text)
    LOG.info("operator %s: %r", out.kind, out.text)
    return {"type": "sent", "kind": out.kind, "text": out.text}


async def _start_broadcast(app: web.Application) -> None:
    app[TASK_KEY] = asyncio.get_running_loop().create_task(_broadcast(app))


async def _broadcast(app: web.Application) -> None:
    """Push a snapshot to every page when something changed, at most update_rate_hz."""
    state, period, sent = app[STATE_KEY], 1.0 / app[CONFIG_KEY].update_rate_hz, -1
    while True:
        await asyncio.sleep(period)
        if state.version == sent or not app[SOCKETS_KEY]:
            continue
        snap = state.snapshot()
        sent, text = snap["version"], _dumps(snap)
        for ws in list(app[SOCKETS_KEY]):
            try:
                await ws.send_str(text)
            except (ConnectionError, RuntimeError):   # page gone mid-send: its handler cleans up
                app[SOCKETS_KEY].discard(ws)


async def _close_sockets(app: web.Application) -> None:
    task = app.get(TASK_KEY)
    if task is not None:
        task.cancel()
    for ws in list(app[SOCKETS_KEY]):
        await ws.close(code=1001, message=b"ground station shutting down")


def _dumps(obj: Any) -> str:
    return json.dumps(_finite(obj), default=_json_default, allow_nan=False)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _finite(obj: Any) -> Any:
    """NaN/inf -> None, recursively (the status may carry them; strict JSON may not)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


class GroundStationServer:
    """make_app() served on config.host:config.port from a thread with its own event loop."""

    def __init__(self, state: StationState, publish: Callable[[str], None], config: GroundStationConfig) -> None:
        self.state, self.publish, self.config = state, publish, config
        self.port: Optional[int] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self._started = threading.Event()
        self._error: Optional[BaseException] = None

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}/"

    def start(self, timeout: float = 10.0) -> "GroundStationServer":
        self._thread = threading.Thread(target=self._run, name="ground-station-http", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError(f"ground station did not start within {timeout} s")
        if self._error is not None:
            raise RuntimeError(f"ground station cannot serve on {self.config.host}:{self.config.port}: "
                               f"{self._error}; pick another ground_station.port") from self._error
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as e:   # bind errors surface in start()
            self._error = e
            self._started.set()
            return
        self._started.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    async def _serve(self) -> None:
        self._runner = web.AppRunner(make_app(self.state, self.publish, self.config), access_log=None,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, int(self.config.port))
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]   # the real port when config.port is 0

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5.0)
