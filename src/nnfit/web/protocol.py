"""The playground's websocket protocol: limits, settings and message checks.

Every message from a page is one JSON object with a "type" and only the keys
that type allows. `parse_message` checks the size, the JSON, the type, each
key's type and range, and raises ProtocolError with one sentence that names
the field, shows the value and says what is allowed. Nothing here trains or
touches a socket: the session and the app use the checked values.

Messages a page sends (optional "id" on any of them is echoed in replies):

    configure  {"settings": {field: value, ...}}   change any settings
    play, pause, reset, regenerate                   no fields
    step       {"steps": int?}                      train once while paused
    add_point  {"x": number, "y": number}           add a training point
    remove_point {"index": int}                     drop a training point
    view       {"contributions": bool}              stream node shares or not
    export     {"format": "png" | "gif", "frames": int?}
    ping       {}                                   answered with "pong"
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from nnfit.activations import ACTIVATIONS
from nnfit.errors import NnfitError
from nnfit.spec import OPTIMIZERS, FitSpec


class ProtocolError(NnfitError):
    """A websocket message the server will not act on; the text says why.

    Attributes:
        field: the offending key, or None when the whole message is wrong.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Limits:
    """What one server allows, so that no page can take it down.

    Attributes:
        max_sessions: pages training at the same time.
        max_hidden: hidden nodes per net.
        max_samples: drawn training samples.
        max_points: points a person may add by clicking.
        max_steps_per_frame: optimiser steps between two frames.
        max_steps: steps one session trains before it pauses for good.
        max_lr: the largest learning rate.
        max_noise: the largest noise standard deviation.
        max_abs_x: the largest |x| or |y| of a range end or a point.
        max_expression: characters in a typed target formula.
        max_message_bytes: bytes in one message from a page.
        max_messages_per_second: sustained message rate per page.
        max_fps: frames per second streamed to one page.
        max_gif_frames: frames kept for a GIF of the last steps.
    """

    max_sessions: int = 32
    max_hidden: int = 256
    max_samples: int = 2000
    max_points: int = 500
    max_steps_per_frame: int = 500
    max_steps: int = 1_000_000
    max_lr: float = 10.0
    max_noise: float = 10.0
    max_abs_x: float = 1e4
    max_expression: int = 200
    max_message_bytes: int = 65_536
    max_messages_per_second: float = 100.0
    max_fps: float = 60.0
    max_gif_frames: int = 200

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FIT = FitSpec()


@dataclass(frozen=True)
class Settings:
    """Every control of the page; with the seed it fixes the whole run.

    Attributes:
        target: a built-in target name or a formula in x.
        activation: a name from nnfit.activations.ACTIVATIONS.
        hidden: hidden nodes H.
        lr: learning rate; changing it never resets training.
        optimizer: "adam" or "sgd".
        samples: training samples drawn from the target.
        noise: noise standard deviation added to the drawn samples.
        x_range: the training range (low, high); None takes the target's own.
        seed: fixes the samples and the init.
        steps_per_frame: optimiser steps per streamed frame.
        added: points a person added, ((x, y), ...), in the order added.
        removed: indices of drawn samples a person removed, sorted.
    """

    # The page opens on the library's own defaults: the article's run.
    target: str = _FIT.target
    activation: str = _FIT.activation
    hidden: int = _FIT.hidden
    lr: float = _FIT.lr
    optimizer: str = _FIT.optimizer
    samples: int = _FIT.samples
    noise: float = _FIT.noise
    x_range: tuple[float, float] | None = _FIT.x_range
    seed: int = _FIT.seed
    steps_per_frame: int = 10
    added: tuple[tuple[float, float], ...] = field(default=())
    removed: tuple[int, ...] = field(default=())

    def replace(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: tuples become lists."""
        values = asdict(self)
        values["x_range"] = None if self.x_range is None else list(self.x_range)
        values["added"] = [list(point) for point in self.added]
        values["removed"] = list(self.removed)
        return values


SETTING_NAMES = tuple(item.name for item in fields(Settings))
# Settings that only change how training proceeds, never what is trained.
LIVE_SETTINGS = frozenset({"lr", "steps_per_frame"})


def parse_message(raw: str | bytes | None, limits: Limits) -> dict[str, Any]:
    """Check one message from a page and return its clean fields.

    Args:
        raw: the websocket payload; text holding one JSON object.
        limits: the server's limits.

    Returns:
        The message as a dict with "type" and checked values; settings in a
        "configure" message are checked with `check_settings`.

    Raises:
        ProtocolError: one sentence on what is wrong.

    Example:
        >>> parse_message('{"type": "step", "steps": 5}', Limits())
        {'type': 'step', 'steps': 5}
    """
    message = _decode(raw, limits)
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        raise ProtocolError(
            f"message type {kind!r} is not known; use one of: {', '.join(MESSAGES)}.",
            "type",
        )

    allowed = MESSAGES[kind]
    _refuse_unknown(message, set(allowed) | {"type", "id"}, f"a {kind!r} message")
    clean: dict[str, Any] = {"type": kind}
    if "id" in message:
        clean["id"] = _check_id(message["id"])
    for name, (checker, required) in allowed.items():
        if name in message:
            clean[name] = checker(message[name], name, limits)
        elif required:
            raise ProtocolError(f"a {kind!r} message needs a {name!r} field.", name)
    return clean


def check_settings(values: Any, limits: Limits) -> dict[str, Any]:
    """Check a partial settings object; return the clean changes.

    Args:
        values: a JSON object mapping setting names to new values.
        limits: the server's limits.

    Returns:
        Setting name -> checked value, for the names given.

    Example:
        >>> check_settings({"hidden": 3, "activation": "cos"}, Limits())
        {'hidden': 3, 'activation': 'cos'}
    """
    if not isinstance(values, dict):
        raise ProtocolError(
            f"settings must be a JSON object, got {_kind(values)}.", "settings"
        )
    _refuse_unknown(values, set(SETTING_NAMES), "settings")
    return {name: SETTINGS[name](value, name, limits) for name, value in values.items()}


# Messages are flat objects; deeper nesting is refused before parsing, so the
# answer does not hang on the parser's recursion limit.
MAX_NESTING = 8


def _nesting(text: str) -> int:
    """How deep brackets and braces nest, outside strings (an upper bound)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _decode(raw: str | bytes | None, limits: Limits) -> dict[str, Any]:
    if not isinstance(raw, str):
        raise ProtocolError("send messages as JSON text, not binary frames.")
    size = len(raw.encode("utf-8", "replace"))
    if size > limits.max_message_bytes:
        raise ProtocolError(
            f"the message is {size} bytes; the most allowed is "
            f"{limits.max_message_bytes} bytes."
        )
    if _nesting(raw) > MAX_NESTING:
        raise ProtocolError(
            f"the message nests more than {MAX_NESTING} levels deep; messages "
            "are flat JSON objects."
        )
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("the message is not valid JSON.") from None
    if not isinstance(message, dict):
        raise ProtocolError(
            f"a message must be a JSON object with a 'type', got {_kind(message)}."
        )
    return message


def _refuse_unknown(values: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in set(values) - known)
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        allowed = ", ".join(sorted(known)) or "none"
        raise ProtocolError(
            f"{where} cannot have the key(s) {shown}; allowed keys are: {allowed}.",
            unknown[0][:40],
        )


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"the number {value!r}"
    return names.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# Field checkers: (value, name, limits) -> clean value, or ProtocolError.
Checker = Callable[[Any, str, Limits], Any]


def _whole(low: int | Callable[[Limits], int], high: int | Callable[[Limits], int]):
    def check(value: Any, name: str, limits: Limits) -> int:
        bottom = low(limits) if callable(low) else low
        top = high(limits) if callable(high) else high
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(
                f"{name} must be a whole number, got {_show(value)}.", name
            )
        if not bottom <= value <= top:
            raise ProtocolError(
                f"{name} must be between {bottom} and {top}, got {value}.", name
            )
        return value

    return check


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{name} must be a number, got {_show(value)}.", name)
    if not math.isfinite(value):
        raise ProtocolError(f"{name} must be a finite number, got {value!r}.", name)
    return float(value)


def _check_lr(value: Any, name: str, limits: Limits) -> float:
    lr = _number(value, name)
    if not 0 < lr <= limits.max_lr:
        raise ProtocolError(
            f"{name} must be above 0 and at most {limits.max_lr:g}, got {lr:g}.", name
        )
    return lr


def _check_noise(value: Any, name: str, limits: Limits) -> float:
    noise = _number(value, name)
    if not 0 <= noise <= limits.max_noise:
        raise ProtocolError(
            f"{name} must be between 0 and {limits.max_noise:g}, got {noise:g}.", name
        )
    return noise


def _check_coordinate(value: Any, name: str, limits: Limits) -> float:
    number = _number(value, name)
    if abs(number) > limits.max_abs_x:
        raise ProtocolError(
            f"{name} must be between {-limits.max_abs_x:g} and "
            f"{limits.max_abs_x:g}, got {number:g}.",
            name,
        )
    return number


def _check_target(value: Any, name: str, limits: Limits) -> str:
    if not isinstance(value, str):
        raise ProtocolError(
            f"{name} must be a built-in name or a formula in x, got {_kind(value)}.",
            name,
        )
    if not value.strip():
        raise ProtocolError(f"{name} is empty; pick a curve or type a formula.", name)
    if len(value) > limits.max_expression:
        raise ProtocolError(
            f"{name} is {len(value)} characters long; the most allowed is "
            f"{limits.max_expression}.",
            name,
        )
    if not value.isprintable():
        raise ProtocolError(
            f"{name} holds a control character; type a plain formula such as "
            "sin(x) + 0.3*x.",
            name,
        )
    return value.strip()


def _choice(options: Callable[[], Any]) -> Checker:
    def check(value: Any, name: str, limits: Limits) -> str:
        allowed = list(options())
        if not isinstance(value, str) or value not in allowed:
            raise ProtocolError(
                f"{name} must be one of {', '.join(allowed)}, got {_show(value)}.",
                name,
            )
        return value

    return check


def _check_range(value: Any, name: str, limits: Limits) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ProtocolError(
            f"{name} must be [low, high] or null for the target's own range, "
            f"got {_show(value)}.",
            name,
        )
    low, high = (_check_coordinate(end, name, limits) for end in value)
    if not low < high:
        raise ProtocolError(
            f"{name} must go from low to high, got [{low:g}, {high:g}].", name
        )
    return low, high


def _check_added(value: Any, name: str, limits: Limits) -> tuple:
    if not isinstance(value, list):
        raise ProtocolError(f"{name} must be a list of [x, y] points.", name)
    if len(value) > limits.max_points:
        raise ProtocolError(
            f"{name} holds {len(value)} points; the most allowed is "
            f"{limits.max_points}.",
            name,
        )
    points = []
    for point in value:
        if not isinstance(point, list) or len(point) != 2:
            raise ProtocolError(
                f"each point in {name} must be [x, y], got {_show(point)}.", name
            )
        points.append(tuple(_check_coordinate(each, name, limits) for each in point))
    return tuple(points)


def _check_removed(value: Any, name: str, limits: Limits) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > limits.max_samples:
        raise ProtocolError(
            f"{name} must be a list of at most {limits.max_samples} sample indices.",
            name,
        )
    index = _whole(0, lambda lim: lim.max_samples - 1)
    return tuple(sorted({index(each, name, limits) for each in value}))


def _check_bool(value: Any, name: str, limits: Limits) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{name} must be true or false, got {_show(value)}.", name)
    return value


def _check_settings_field(value: Any, name: str, limits: Limits) -> dict[str, Any]:
    return check_settings(value, limits)


def _check_id(value: Any) -> int | str:
    short_text = isinstance(value, str) and len(value) <= 64
    small_int = (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53
    )
    if not (short_text or small_int):
        raise ProtocolError(
            f"id must be a whole number or a text of at most 64 characters, "
            f"got {_show(value)}.",
            "id",
        )
    return value


SETTINGS: dict[str, Checker] = {
    "target": _check_target,
    "activation": _choice(lambda: ACTIVATIONS),
    "hidden": _whole(1, lambda limits: limits.max_hidden),
    "lr": _check_lr,
    "optimizer": _choice(lambda: OPTIMIZERS),
    "samples": _whole(3, lambda limits: limits.max_samples),
    "noise": _check_noise,
    "x_range": _check_range,
    "seed": _whole(0, 2**31 - 1),
    "steps_per_frame": _whole(1, lambda limits: limits.max_steps_per_frame),
    "added": _check_added,
    "removed": _check_removed,
}

# type -> {field: (checker, required)}
MESSAGES: dict[str, dict[str, tuple[Checker, bool]]] = {
    "configure": {"settings": (_check_settings_field, True)},
    "play": {},
    "pause": {},
    "step": {"steps": (_whole(1, lambda lim: lim.max_steps_per_frame), False)},
    "reset": {},
    "regenerate": {},
    "add_point": {
        "x": (_check_coordinate, True),
        "y": (_check_coordinate, True),
    },
    "remove_point": {"index": (_whole(0, 2**31 - 1), True)},
    "view": {"contributions": (_check_bool, True)},
    "export": {
        "format": (_choice(lambda: ("png", "gif")), True),
        "frames": (_whole(2, lambda lim: lim.max_gif_frames), False),
    },
    "ping": {},
}
