"""The playground's HTTP routes and websocket protocol, through TestClient.

Every message type is driven once, and every kind of bad input gets an
"error" reply with one clear sentence while the session stays usable.
"""

from __future__ import annotations

import base64
import json
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

with warnings.catch_warnings():
    # starlette warns at import when httpx (not httpx2) backs its TestClient.
    warnings.filterwarnings("ignore", message="Using `httpx`")
    from fastapi.testclient import TestClient

from nnfit.activations import ACTIVATIONS
from nnfit.targets import TARGETS
from nnfit.web import session as session_module
from nnfit.web.app import create_app
from nnfit.web.protocol import Limits, Settings

LIMITS = Limits(
    max_sessions=4,
    max_hidden=32,
    max_samples=200,
    max_points=3,
    max_steps_per_frame=50,
    max_message_bytes=4096,
    max_gif_frames=8,
    max_fps=200.0,
)
STATIC = Path(__file__).parents[1] / "src" / "nnfit" / "web" / "static"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(LIMITS)) as test_client:
        yield test_client


@pytest.fixture
def socket(client):
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json()["type"] == "hello"
        yield websocket


def until(websocket, kind: str, limit: int = 500) -> dict:
    """Read messages until one of `kind` arrives; fail on an unexpected error."""
    for _ in range(limit):
        message = websocket.receive_json()
        if message["type"] == kind:
            return message
        assert message["type"] != "error", message
    raise AssertionError(f"no {kind!r} message in {limit} messages")


def configured(websocket, **settings) -> list[dict]:
    """Send settings and a reset; return the reset's config, data and frame."""
    websocket.send_json({"type": "configure", "settings": settings})
    websocket.send_json({"type": "reset", "id": "set"})
    replies = []
    while not replies or replies[-1]["type"] != "frame":
        message = websocket.receive_json()
        assert message["type"] != "error", message
        if message.get("id") == "set":
            replies.append(message)
    return replies


def error_for(websocket, text: str) -> dict:
    websocket.send_text(text)
    return until_error(websocket)


def until_error(websocket) -> dict:
    for _ in range(500):
        message = websocket.receive_json()
        if message["type"] == "error":
            return message
    raise AssertionError("no error reply")


def until_stopped(websocket) -> dict:
    """The first status that says training is not playing."""
    status = until(websocket, "status")
    while status["playing"]:
        status = until(websocket, "status")
    return status


def floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), "<f4")


# ---------- HTTP ----------


def test_page_is_served_with_its_own_scripts(client):
    page = client.get("/")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith(("/static/", "data:")) for s in sources)


def test_static_files_load_nothing_from_the_network():
    text = "".join(p.read_text() for p in STATIC.iterdir())
    assert not re.search(r"https?://|//cdn|@import", text)


def test_info_lists_every_registered_activation_and_target(client):
    info = client.get("/api/info").json()
    assert [a["name"] for a in info["activations"]] == list(ACTIVATIONS)
    assert [t["name"] for t in info["targets"]] == list(TARGETS)


def test_hello_carries_the_limits(client):
    with client.websocket_connect("/ws") as websocket:
        hello = websocket.receive_json()
    assert hello["limits"]["max_hidden"] == LIMITS.max_hidden


# ---------- every message type ----------


def test_configure_replies_config_data_frame_with_the_id(socket):
    socket.send_json({"type": "configure", "settings": {"hidden": 4}, "id": 7})
    replies = [socket.receive_json() for _ in range(3)]
    assert [(m["type"], m["id"]) for m in replies] == [
        ("config", 7),
        ("data", 7),
        ("frame", 7),
    ]


def test_configure_with_unchanged_values_keeps_training(socket):
    configured(socket, hidden=4)
    socket.send_json({"type": "step"})
    until(socket, "frame")
    socket.send_json({"type": "configure", "settings": {"hidden": 4}})
    until(socket, "config")
    socket.send_json({"type": "step"})
    assert until(socket, "frame")["step"] == 20


def test_frame_curve_covers_the_grid(socket):
    _, data, frame = configured(socket)
    assert floats(frame["curve"]).shape == floats(data["grid"]).shape


def test_node_shares_plus_c_give_the_curve(socket):
    _, data, frame = configured(socket, hidden=5)
    socket.send_json({"type": "step"})
    frame = until(socket, "frame")
    grid = data["shares"]
    shares = floats(frame["shares"]).reshape(5, grid["count"])
    columns = grid["start"] + grid["stride"] * np.arange(grid["count"])
    curve = floats(frame["curve"])[columns]
    np.testing.assert_allclose(shares.sum(axis=0) + frame["c"], curve, atol=1e-4)


def test_config_resolves_the_targets_own_range(socket):
    config, _, _ = configured(socket, target="abs", x_range=None)
    assert config["settings"]["x_range"] == list(TARGETS["abs"].x_range)


def test_step_trains_one_frame(socket):
    configured(socket, steps_per_frame=5)
    socket.send_json({"type": "step"})
    assert until(socket, "frame")["step"] == 5


def test_step_takes_a_step_count(socket):
    configured(socket)
    socket.send_json({"type": "step", "steps": 3})
    assert until(socket, "frame")["step"] == 3


def test_changing_lr_does_not_reset_training(socket):
    configured(socket, steps_per_frame=5)
    socket.send_json({"type": "step"})
    until(socket, "frame")
    socket.send_json({"type": "configure", "settings": {"lr": 0.01}})
    assert until(socket, "config")["settings"]["lr"] == 0.01
    socket.send_json({"type": "step"})
    assert until(socket, "frame")["step"] == 10


def test_changing_the_activation_resets_training(socket):
    configured(socket)
    socket.send_json({"type": "step"})
    until(socket, "frame")
    _, _, frame = configured(socket, activation="tanh")
    assert frame["step"] == 0


def test_play_streams_frames_with_growing_steps(socket):
    configured(socket, steps_per_frame=2)
    socket.send_json({"type": "play"})
    assert until(socket, "status")["playing"] is True
    steps = [until(socket, "frame")["step"] for _ in range(5)]
    assert steps == sorted(steps) and steps[-1] > steps[0]


def test_loss_falls_while_playing(socket):
    _, _, first = configured(socket, steps_per_frame=20)
    socket.send_json({"type": "play"})
    for _ in range(10):
        last = until(socket, "frame")
    assert last["loss"] < first["loss"]


def test_pause_stops_the_stream(socket):
    configured(socket)
    socket.send_json({"type": "play"})
    until(socket, "frame")
    socket.send_json({"type": "pause", "id": "p"})
    status = until(socket, "status")
    while status.get("id") != "p":
        status = until(socket, "status")
    socket.send_json({"type": "ping", "id": "after"})
    reply = socket.receive_json()
    assert (reply["type"], reply["id"]) == ("pong", "after")


def test_reset_returns_to_the_same_start(socket):
    _, _, first = configured(socket)
    socket.send_json({"type": "step"})
    until(socket, "frame")
    socket.send_json({"type": "reset"})
    frame = until(socket, "frame")
    assert frame["step"] == 0 and frame["curve"] == first["curve"]


def test_same_settings_give_the_same_run(client):
    curves = []
    for _ in range(2):
        with client.websocket_connect("/ws") as websocket:
            websocket.receive_json()
            configured(websocket, seed=3, hidden=4, added=[[0.5, 2.0]], removed=[1])
            websocket.send_json({"type": "step"})
            curves.append(until(websocket, "frame")["curve"])
    assert curves[0] == curves[1]


def test_regenerate_draws_new_samples_with_the_next_seed(socket):
    _, data, _ = configured(socket, seed=4)
    socket.send_json({"type": "regenerate"})
    config = until(socket, "config")
    assert config["settings"]["seed"] == 5
    assert until(socket, "data")["y"] != data["y"]


def test_add_point_appends_a_training_point(socket):
    configured(socket, samples=20)
    socket.send_json({"type": "add_point", "x": 1.5, "y": 2.5})
    config, data = until(socket, "config"), until(socket, "data")
    assert config["settings"]["added"] == [[1.5, 2.5]]
    assert data["added_from"] == 20
    assert floats(data["x"])[-1] == pytest.approx(1.5)


def test_add_point_keeps_training_going(socket):
    configured(socket, steps_per_frame=5)
    socket.send_json({"type": "step"})
    until(socket, "frame")
    socket.send_json({"type": "add_point", "x": 0.0, "y": 1.0})
    assert until(socket, "frame")["step"] == 5


def test_remove_point_drops_a_drawn_sample(socket):
    configured(socket, samples=20)
    socket.send_json({"type": "remove_point", "index": 2})
    assert until(socket, "config")["settings"]["removed"] == [2]
    assert floats(until(socket, "data")["x"]).size == 19


def test_remove_point_drops_an_added_point(socket):
    configured(socket, samples=20, added=[[1.0, 1.0]])
    socket.send_json({"type": "remove_point", "index": 20})
    assert until(socket, "config")["settings"]["added"] == []


def test_view_turns_node_shares_off(socket):
    configured(socket)
    socket.send_json({"type": "view", "contributions": False})
    assert until(socket, "view")["contributions"] is False
    socket.send_json({"type": "step"})
    assert until(socket, "frame")["shares"] is None


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_registered_activation_trains(socket, activation):
    configured(socket, activation=activation, hidden=3)
    socket.send_json({"type": "step"})
    frame = until(socket, "frame")
    assert frame["step"] == 10 and frame["loss"] is not None


def test_periodic_nodes_come_with_waves(socket):
    _, _, frame = configured(socket, activation="cos", hidden=3)
    assert floats(frame["waves"]["frequency"]).shape == (3,)


def test_relu_frames_list_dead_units(socket):
    _, _, frame = configured(socket, activation="relu")
    assert isinstance(frame["dead"], list)


def test_export_png_is_a_png(socket):
    configured(socket)
    socket.send_json({"type": "export", "format": "png"})
    message = until(socket, "export")
    assert base64.b64decode(message["data"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_export_gif_is_a_gif_of_the_last_frames(socket):
    configured(socket, steps_per_frame=5)
    for _ in range(3):
        socket.send_json({"type": "step"})
        until(socket, "frame")
    socket.send_json({"type": "export", "format": "gif", "frames": 3})
    message = until(socket, "export")
    assert base64.b64decode(message["data"])[:6] == b"GIF89a"


def test_ping_gets_a_pong_with_the_id(socket):
    socket.send_json({"type": "ping", "id": 41})
    reply = socket.receive_json()
    assert (reply["type"], reply["id"]) == ("pong", 41)


# ---------- bad input ----------

BAD_SETTINGS = [
    ("hidden", "10", "whole number"),
    ("hidden", 2.5, "whole number"),
    ("hidden", True, "whole number"),
    ("hidden", 0, "between 1 and 32"),
    ("hidden", 33, "between 1 and 32"),
    ("samples", 2, "between 3 and 200"),
    ("samples", 10**9, "between 3 and 200"),
    ("steps_per_frame", 0, "between 1 and 50"),
    ("steps_per_frame", 51, "between 1 and 50"),
    ("seed", -1, "between 0"),
    ("lr", 0, "above 0"),
    ("lr", -0.1, "above 0"),
    ("lr", 11, "at most 10"),
    ("lr", "fast", "must be a number"),
    ("noise", -0.5, "between 0 and 10"),
    ("noise", 11, "between 0 and 10"),
    ("activation", "swish", "must be one of"),
    ("activation", 3, "must be one of"),
    ("optimizer", "lbfgs", "must be one of"),
    ("target", "", "empty"),
    ("target", 5, "built-in name or a formula"),
    ("target", "x+" * 150, "characters long"),
    ("target", "sin(x)\x00", "control character"),
    ("x_range", [1], "[low, high]"),
    ("x_range", [2, 1], "from low to high"),
    ("x_range", ["a", 1], "must be a number"),
    ("x_range", [0, 1e9], "between"),
    ("added", [[1, 2]] * 4, "most allowed is 3"),
    ("added", [[1]], "must be [x, y]"),
    ("removed", [-1], "between 0"),
    ("removed", "1,2", "list of at most"),
]


@pytest.mark.parametrize(("name", "value", "phrase"), BAD_SETTINGS)
def test_bad_setting_gets_a_clear_error(socket, name, value, phrase):
    message = {"type": "configure", "settings": {name: value}}
    reply = error_for(socket, json.dumps(message))
    assert reply["field"] == name
    assert phrase in reply["message"] and reply["message"].endswith(".")


HOSTILE_TARGETS = [
    "__import__('os').system('echo hacked')",
    "open('/etc/passwd')",
    "x.__class__",
    "lambda: 1",
    "sin(x",
    "(" * 60 + "x" + ")" * 60,
    "9**9**9**9",
    "exp(exp(exp(x)))",
    "log(x)",
]


@pytest.mark.parametrize(
    "target", HOSTILE_TARGETS, ids=[t[:24] for t in HOSTILE_TARGETS]
)
def test_hostile_target_gets_an_error_and_no_run(socket, target):
    message = {"type": "configure", "settings": {"target": target}}
    reply = error_for(socket, json.dumps(message))
    assert reply["message"].endswith(".") and "Traceback" not in reply["message"]


BAD_MESSAGES = [
    ("not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"kind": "play"}', "type None is not known"),
    ('{"type": "explode"}', "'explode' is not known"),
    ('{"type": "play", "speed": 3}', "cannot have the key(s) 'speed'"),
    ('{"type": "configure"}', "needs a 'settings' field"),
    ('{"type": "configure", "settings": [1]}', "settings must be a JSON object"),
    ('{"type": "configure", "settings": {"colour": 1}}', "'colour'"),
    ('{"type": "add_point", "x": 1}', "needs a 'y' field"),
    ('{"type": "add_point", "x": "1", "y": 0}', "x must be a number"),
    ('{"type": "add_point", "x": NaN, "y": 0}', "finite number"),
    ('{"type": "add_point", "x": 1e400, "y": 0}', "finite number"),
    ('{"type": "add_point", "x": 1e9, "y": 0}', "between"),
    ('{"type": "remove_point", "index": 9999}', "must point at one of"),
    ('{"type": "remove_point", "index": -1}', "between 0"),
    ('{"type": "step", "steps": 0}', "between 1 and 50"),
    ('{"type": "view", "contributions": "yes"}', "true or false"),
    ('{"type": "export", "format": "svg"}', "must be one of png, gif"),
    ('{"type": "export", "format": "gif", "frames": 1}', "between 2 and 8"),
    ('{"type": "export", "format": "gif", "frames": 9}', "between 2 and 8"),
    ('{"type": "ping", "id": {"a": 1}}', "id must be"),
    ("[" * 2000 + "]" * 2000, "nests more than 8 levels"),
    ('{"type": "ping", "pad": "' + "x" * 5000 + '"}', "the most allowed is 4096"),
]


@pytest.mark.parametrize(
    ("text", "phrase"), BAD_MESSAGES, ids=[p for _, p in BAD_MESSAGES]
)
def test_bad_message_gets_a_clear_error(socket, text, phrase):
    assert phrase in error_for(socket, text)["message"]


def test_binary_message_gets_an_error(socket):
    socket.send_bytes(b"\x00\x01")
    assert "JSON text" in until_error(socket)["message"]


def test_session_keeps_working_after_bad_messages(socket):
    for text, _ in BAD_MESSAGES:
        socket.send_text(text)
        until_error(socket)
    replies = configured(socket)
    assert replies[-1]["type"] == "frame"


def test_removing_all_but_two_points_is_refused(socket):
    configured(socket, samples=3)
    socket.send_json({"type": "remove_point", "index": 0})
    assert "at least 3" in until_error(socket)["message"]


def test_too_many_added_points_are_refused(socket):
    configured(socket, added=[[0, 0], [1, 1], [2, 2]])
    socket.send_json({"type": "add_point", "x": 3, "y": 3})
    assert "most allowed" in until_error(socket)["message"]


def test_unexpected_failure_gets_an_error_and_the_session_lives(socket, monkeypatch):
    configured(socket)

    def broken(self, steps=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(session_module.Session, "advance", broken)
    socket.send_json({"type": "step"})
    assert "could not handle" in until_error(socket)["message"]
    monkeypatch.undo()
    socket.send_json({"type": "step"})
    assert until(socket, "frame")["step"] > 0


def test_a_bad_message_does_not_disturb_another_session(client):
    with (
        client.websocket_connect("/ws") as first,
        client.websocket_connect("/ws") as second,
    ):
        first.receive_json(), second.receive_json()
        configured(second)
        error_for(first, "{{{")
        second.send_json({"type": "step"})
        assert until(second, "frame")["step"] > 0


# ---------- limits ----------


def test_sessions_beyond_the_limit_are_refused():
    app = create_app(Limits(max_sessions=1))
    with TestClient(app) as test_client, test_client.websocket_connect("/ws") as first:
        first.receive_json()
        with test_client.websocket_connect("/ws") as second:
            reply = second.receive_json()
    assert reply["fatal"] and "busy" in reply["message"]


def test_pages_of_other_sites_are_refused(client):
    headers = {"origin": "http://elsewhere.example"}
    with client.websocket_connect("/ws", headers=headers) as websocket:
        reply = websocket.receive_json()
    assert reply["fatal"] and "its own page" in reply["message"]


def test_message_floods_are_throttled():
    app = create_app(Limits(max_messages_per_second=5))
    with TestClient(app) as test_client, test_client.websocket_connect("/ws") as ws:
        ws.receive_json()
        for _ in range(10):
            ws.send_json({"type": "ping"})
        replies = [ws.receive_json() for _ in range(10)]
    assert any("too many messages" in r.get("message", "") for r in replies)


def test_training_stops_at_the_step_limit():
    limits = Limits(max_steps=30, max_fps=200.0)
    app = create_app(limits)
    with TestClient(app) as test_client, test_client.websocket_connect("/ws") as ws:
        ws.receive_json()
        configured(ws, steps_per_frame=10)
        ws.send_json({"type": "play"})
        status = until_stopped(ws)
    assert "30 steps" in status["stopped"]


def test_divergence_stops_training_with_advice(socket):
    configured(socket, optimizer="sgd", lr=10.0, activation="tanh")
    socket.send_json({"type": "play"})
    status = until_stopped(socket)
    assert (
        "diverged" in status["stopped"] and "smaller learning rate" in status["stopped"]
    )


def test_closing_the_page_stops_its_training():
    app = create_app(LIMITS)
    with TestClient(app) as test_client:
        with test_client.websocket_connect("/ws") as websocket:
            websocket.receive_json()
            configured(websocket)
            websocket.send_json({"type": "play"})
            until(websocket, "frame")
            (page,) = app.state.pages
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            app.state.pages or not page.player.done()
        ):
            time.sleep(0.02)
        assert not app.state.pages and not page.playing and page.player.done()


def test_settings_defaults_match_the_page_defaults(client):
    assert client.get("/api/info").json()["defaults"] == Settings().to_dict()
