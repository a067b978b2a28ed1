"""The ground station's web app without ROS: aiohttp's test server + client over real HTTP and websockets.

What a page may do: same-origin websocket only, Host names of this machine only, messages up to
max_message_bytes, and every message becomes one cleaned instruction (or is refused with the reason)."""
import asyncio
import json
from dataclasses import fields

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from geotext_ros.ground_station.app import make_app
from geotext_ros.ground_station.config import GroundStationConfig
from geotext_ros.ground_station.state import StationState
from geotext_ros.ground_station.validation import (COMMANDS, Rejected, clean_text, host_allowed, origin_allowed,
                                                   parse_client_message)
from geotext_ros.param_file import load_node_params


def run(coro_fn, config: GroundStationConfig = GroundStationConfig()):
    """Serve make_app on a free loopback port, run coro_fn(client, state, published), return its result."""
    async def main():
        state, published = StationState(config), []
        client = TestClient(TestServer(make_app(state, published.append, config), host="127.0.0.1"))
        await client.start_server()
        try:
            return await coro_fn(client, state, published)
        finally:
            await client.close()
    return asyncio.run(main())


def origin(client) -> str:
    return f"http://127.0.0.1:{client.port}"


async def receive_type(ws, kind: str, timeout: float = 5.0) -> dict:
    while True:
        msg = await asyncio.wait_for(ws.receive(), timeout)
        assert msg.type == WSMsgType.TEXT, msg
        data = json.loads(msg.data)
        if data["type"] == kind:
            return data


def test_nav_yaml_holds_the_config_defaults() -> None:
    yaml_params = load_node_params("ground_station")
    assert yaml_params == GroundStationConfig().to_params()
    assert GroundStationConfig.from_params(yaml_params) == GroundStationConfig()
    assert {f.name for f in fields(GroundStationConfig)} == set(yaml_params)
    assert GroundStationConfig().host == "127.0.0.1"   # never every interface by default


def test_config_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="port"):
        GroundStationConfig(port=70000)
    with pytest.raises(ValueError, match="unknown ground_station parameters"):
        GroundStationConfig.from_params({"hots": "x"})


def test_page_and_static_files_are_served_with_a_strict_policy() -> None:
    async def body(client, state, published):
        page = await client.get("/")
        text = await page.text()
        assert page.status == 200 and 'id="instruction"' in text and "/static/app.js" in text
        for button in ("btn-stop", "btn-hold", "btn-return"):
            assert button in text
        assert "http" not in text.replace("http-equiv", ""), "the page must load nothing from elsewhere (no CDN)"
        csp = page.headers["Content-Security-Policy"]
        assert "connect-src 'self'" in csp and "script-src 'self'" in csp
        js = await client.get("/static/app.js")
        assert js.status == 200 and "WebSocket" in await js.text()
        assert (await client.get("/static/../config.py")).status in (403, 404)
        assert (await client.get("/frame.jpg")).status == 204   # no frame yet
        state.on_frame(b"\xff\xd8jpeg", "camera")
        frame = await client.get("/frame.jpg")
        assert frame.status == 200 and await frame.read() == b"\xff\xd8jpeg"
        assert frame.headers["X-Frame-Seq"] == "1"
    run(body)


def test_a_foreign_host_header_is_refused() -> None:
    async def body(client, state, published):
        assert (await client.get("/", headers={"Host": "evil.example:80"})).status == 421
        assert (await client.get("/", headers={"Host": f"localhost:{client.port}"})).status == 200
    run(body)


def test_websocket_needs_the_same_origin() -> None:
    async def body(client, state, published):
        for bad in (None, "http://evil.example", f"http://127.0.0.1:{client.port + 1}", "null"):
            headers = {} if bad is None else {"Origin": bad}
            with pytest.raises(WSServerHandshakeError) as e:
                await client.ws_connect("/ws", headers=headers)
            assert e.value.status == 403, bad
        ws = await client.ws_connect("/ws", headers={"Origin": origin(client)})
        snap = await receive_type(ws, "snapshot")
        assert snap["status"] == {} and snap["frame_seq"] == 0
        await ws.close()
        assert published == []
    run(body)


def test_instructions_commands_and_refusals() -> None:
    async def body(client, state, published):
        ws = await client.ws_connect("/ws", headers={"Origin": origin(client)})
        await receive_type(ws, "snapshot")
        await ws.send_str(json.dumps({"type": "instruction", "text": "fly to the\x00 red\x1b[2J building\u202e"}))
        sent = await receive_type(ws, "sent")
        assert sent["text"] == "fly to the red building"   # cleaned as /instruction is: ANSI escape removed, controls -> spaces
        for name in ("stop", "hold", "return"):
            await ws.send_str(json.dumps({"type": "command", "name": name}))
            assert (await receive_type(ws, "sent"))["text"] == COMMANDS[name]
        for bad, why in ((json.dumps({"type": "instruction", "text": "x" * 2001}), "too long"),
                         (json.dumps({"type": "instruction", "text": "\x00\t "}), "empty"),
                         (json.dumps({"type": "instruction", "text": 5}), "must be a string"),
                         (json.dumps({"type": "command", "name": "arm"}), "unknown command"),
                         (json.dumps({"type": "publish", "topic": "/fmu/in/vehicle_command"}), "unknown message"),
                         (json.dumps({"type": "choose", "index": 1}), "no candidate"),
                         ("not json", "not JSON")):
            await ws.send_str(bad)
            assert why in (await receive_type(ws, "rejected"))["reason"]
        await ws.send_bytes(b"binary")
        assert "only text" in (await receive_type(ws, "rejected"))["reason"]
        assert published == ["fly to the red building", "stop", "hold position", "return home"]
        await ws.close()
    run(body)


def test_a_message_over_the_size_limit_closes_the_socket() -> None:
    async def body(client, state, published):
        ws = await client.ws_connect("/ws", headers={"Origin": origin(client)})
        await receive_type(ws, "snapshot")
        await ws.send_str(json.dumps({"type": "instruction", "text": "a" * 600}))
        msg = await asyncio.wait_for(ws.receive(), 5.0)
        while msg.type == WSMsgType.TEXT:
            msg = await asyncio.wait_for(ws.receive(), 5.0)
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
        assert ws.close_code == 1009   # message too big
        assert published == []
    run(body, GroundStationConfig(max_message_bytes=512))


def test_snapshots_follow_the_state_and_candidates_become_choices() -> None:
    async def body(client, state, published):
        ws = await client.ws_connect("/ws", headers={"Origin": origin(client)})
        await receive_type(ws, "snapshot")
        state.on_status({"state": "CLARIFY", "reason": "two candidates fit", "instruction": "fly to the pool",
                         "candidates": [{"box": [0.2, 0.2, 0.1, 0.1], "score": 0.5},
                                        {"box": [0.7, 0.7, 0.1, 0.1], "score": 0.4, "answer": "the right one"}],
                         "score": float("nan")})
        state.on_pose(1.0, 2.0, 30.0, 0.5)
        state.on_pose(5.0, 2.0, 30.0, 0.5)
        snap = await receive_type(ws, "snapshot")
        assert snap["status"]["state"] == "CLARIFY" and snap["status"]["score"] is None   # strict JSON
        assert snap["timeline"][-1]["reason"] == "two candidates fit"
        assert snap["pose"] == [5.0, 2.0, 30.0, 0.5] and snap["trajectory"] == [[1.0, 2.0], [5.0, 2.0]]
        await ws.send_str(json.dumps({"type": "choose", "index": 1}))
        assert (await receive_type(ws, "sent"))["text"] == "1"
        await ws.send_str(json.dumps({"type": "choose", "index": 2}))
        assert (await receive_type(ws, "sent"))["text"] == "the right one"
        await ws.send_str(json.dumps({"type": "choose", "index": 3}))
        assert "choose 1..2" in (await receive_type(ws, "rejected"))["reason"]
        assert published == ["1", "the right one"]
        await ws.close()
    run(body)


def test_validation_functions() -> None:
    assert clean_text("  go\u2028home\u200b ", 100) == "go home"
    with pytest.raises(Rejected):
        clean_text("abc", 2)
    assert host_allowed("127.0.0.1:8765", "127.0.0.1") and host_allowed("[::1]:80", "127.0.0.1")
    assert host_allowed("drone.local:8765", "0.0.0.0", ("drone.local",))
    assert not host_allowed("evil.example:8765", "127.0.0.1") and not host_allowed("", "127.0.0.1")
    assert origin_allowed("http://localhost:8765", "localhost:8765")
    assert not origin_allowed("http://localhost:8766", "localhost:8765")
    assert not origin_allowed("file://", "localhost:8765") and not origin_allowed(None, "localhost:8765")
    out = parse_client_message(json.dumps({"type": "instruction", "text": "land next to the pool"}), 2000)
    assert (out.text, out.kind) == ("land next to the pool", "instruction")
