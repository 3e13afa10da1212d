"""The playground server: one page, one websocket per open page, live frames.

`create_app` builds the FastAPI app; `serve` runs it with uvicorn on
localhost. Each websocket is one Session. Training runs in a small thread
pool, off the event loop, so many pages stream at once; a page's training
stops when its socket closes. Bad messages get an "error" reply with one
sentence and never end the server or another page's session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import webbrowser
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, WebSocket
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.websockets import WebSocketDisconnect

from nnfit.activations import ACTIVATIONS
from nnfit.errors import NnfitError
from nnfit.spec import OPTIMIZERS
from nnfit.targets import TARGETS
from nnfit.views import style as view_style
from nnfit.web.protocol import Limits, ProtocolError, Settings, parse_message
from nnfit.web.session import Session

STATIC = Path(__file__).parent / "static"
WORKERS = 8
# Close codes (RFC 6455 registry): try again later; policy violation.
BUSY = 1013
POLICY = 1008
FOREIGN = (
    "this playground only accepts its own page; open it from the server's own "
    "address instead of embedding it in another site."
)
UVICORN_OPTIONS = {
    # Messages over max_message_bytes get an error reply; far larger ones are
    # cut off by the websocket layer itself.
    "ws_max_size": 1 << 20,
    # Frames are base64 floats: deflate costs more CPU than it saves bytes.
    "ws_per_message_deflate": False,
}
# Seconds a pause waits for the frame in progress before cancelling it.
PAUSE_WAIT = 5.0
FAILED = (
    "the server could not handle that message; the session is still open, so "
    "change a setting or press reset."
)
log = logging.getLogger("nnfit.web")


def create_app(limits: Limits | None = None) -> FastAPI:
    """The playground app: the page at "/", its files, and the "/ws" socket.

    Args:
        limits: what the server allows; None takes Limits().

    Returns:
        A FastAPI app; run it with uvicorn or drive it with TestClient.

    Example:
        >>> app = create_app(Limits(max_sessions=4))
        >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
    """
    limits = limits or Limits()
    executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="nnfit-train")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="nnfit playground", lifespan=lifespan, docs_url=None)
    app.state.limits = limits
    app.state.pages = set()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(
            STATIC / "index.html", headers={"Cache-Control": "no-cache"}
        )

    @app.get("/api/info")
    async def info() -> JSONResponse:
        return JSONResponse({**hello_message(limits), "sessions": len(app.state.pages)})

    @app.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        if not _same_origin(websocket):
            await _refuse(websocket, FOREIGN, POLICY)
            return
        if len(app.state.pages) >= limits.max_sessions:
            await _refuse(websocket, _busy(limits), BUSY)
            return
        page = Page(websocket, limits, executor)
        app.state.pages.add(page)
        try:
            await page.serve()
        finally:
            page.stop()
            app.state.pages.discard(page)

    return app


def serve(
    host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False
) -> None:
    """Run the playground with uvicorn until interrupted.

    Args:
        host: the address to bind; the default serves this machine only.
        port: the TCP port.
        open_browser: open the page in the default browser once it is up.

    Example:
        >>> serve("127.0.0.1", 8000, open_browser=True)  # doctest: +SKIP
    """
    import uvicorn

    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(), host=host, port=port, log_level="info", **UVICORN_OPTIONS)


def hello_message(limits: Limits) -> dict[str, Any]:
    """What a page needs before its first run: choices, limits, defaults."""
    return {
        "type": "hello",
        "activations": [
            {"name": a.name, "formula": a.formula, "periodic": a.periodic}
            for a in ACTIVATIONS.values()
        ],
        "targets": [
            {"name": t.name, "description": t.description, "x_range": list(t.x_range)}
            for t in TARGETS.values()
        ],
        "optimizers": list(OPTIMIZERS),
        # The CLI's colours, so the page and the exported figures match.
        "colors": {
            "target": view_style.TARGET,
            "samples": view_style.SAMPLES,
            "samples_edge": view_style.SAMPLES_EDGE,
            "net": view_style.NET,
            "dead": view_style.DEAD,
            "nodes": list(view_style.NODES),
        },
        "limits": limits.to_dict(),
        "defaults": Settings().to_dict(),
    }


def _busy(limits: Limits) -> str:
    return (
        f"The server is busy: {limits.max_sessions} pages are training, the most "
        "it allows; close another playground tab or try again in a minute."
    )


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers send Origin: refuse pages of other sites driving this server."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


async def _refuse(websocket: WebSocket, message: str, code: int) -> None:
    reply = {"type": "error", "message": message, "field": None, "fatal": True}
    await websocket.send_text(json.dumps(reply))
    await websocket.close(code=code)


class Page:
    """One open page: reads its messages, runs its session, streams frames."""

    def __init__(
        self, websocket: WebSocket, limits: Limits, executor: ThreadPoolExecutor
    ) -> None:
        self.websocket, self.limits, self.executor = websocket, limits, executor
        self.session = Session(limits)
        self.playing = False
        self.closed = False
        self.player: asyncio.Task | None = None
        self.session_lock = asyncio.Lock()
        self.send_lock = asyncio.Lock()
        self.tokens = limits.max_messages_per_second
        self.refilled = time.monotonic()

    async def serve(self) -> None:
        """Answer messages until the page goes away."""
        await self.send(hello_message(self.limits))
        while not self.closed:
            try:
                event = await self.websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if event["type"] == "websocket.disconnect":
                return
            await self.answer(event.get("text"), event.get("bytes"))

    def stop(self) -> None:
        """Stop training: the page is gone."""
        self.playing = False
        if self.player is not None:
            self.player.cancel()

    async def answer(self, text: str | None, data: bytes | None) -> None:
        """Check one message, act on it, and reply; errors become replies."""
        ident = None
        try:
            self._take_token()
            message = parse_message(text if text is not None else data, self.limits)
            ident = message.get("id")
            await HANDLERS[message["type"]](self, message)
        except (ProtocolError, NnfitError) as error:
            await self.send(_error(str(error), getattr(error, "field", None), ident))
        except WebSocketDisconnect:
            self.closed = True
        except Exception:
            log.exception("unexpected failure on a playground message")
            await self.send(_error(FAILED, None, ident))

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message; a page that has gone away ends the session."""
        text = json.dumps(message, separators=(",", ":"), allow_nan=False)
        async with self.send_lock:
            if self.closed:
                return
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed, self.playing = True, False

    async def run(self, work: Callable[..., Any], *args: Any) -> Any:
        """Run session work in the thread pool, one call at a time per page."""
        loop = asyncio.get_running_loop()
        async with self.session_lock:
            return await loop.run_in_executor(self.executor, work, *args)

    async def send_all(self, messages: list[dict[str, Any]], ident: Any) -> None:
        for message in messages:
            if ident is not None:
                message = {**message, "id": ident}
            await self.send(message)

    def _take_token(self) -> None:
        now = time.monotonic()
        rate = self.limits.max_messages_per_second
        self.tokens = min(rate, self.tokens + (now - self.refilled) * rate)
        self.refilled = now
        if self.tokens < 1:
            raise ProtocolError(
                f"too many messages: this page may send at most {rate:g} per "
                "second; that message was dropped."
            )
        self.tokens -= 1

    async def play_loop(self) -> None:
        """Stream frames while playing, at most max_fps per second."""
        period = 1.0 / self.limits.max_fps
        while self.playing and not self.closed:
            started = time.perf_counter()
            try:
                frame = await self.run(self.session.advance)
            except Exception:
                log.exception("training failed on a playground page")
                self.playing = False
                await self.send(_error(FAILED, None, None))
                await self.send(self.session.status_message(False))
                return
            frame["time"] = time.time() * 1000
            await self.send(frame)
            if self.session.stopped:
                self.playing = False
                await self.send(self.session.status_message(False))
                return
            await asyncio.sleep(max(0.0, period - (time.perf_counter() - started)))

    async def pause(self) -> None:
        """Stop playing after the frame in progress has been sent."""
        self.playing = False
        if self.player is not None and not self.player.done():
            # Cancelling mid-frame would train a frame the page never sees.
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self.player, PAUSE_WAIT)
        self.player = None


async def _on_configure(page: Page, message: dict[str, Any]) -> None:
    replies = await page.run(page.session.configure, message["settings"])
    await page.send_all(replies, message.get("id"))


async def _on_play(page: Page, message: dict[str, Any]) -> None:
    if page.session.trainer is None:
        await page.send_all(await page.run(page.session.reset), None)
    if page.session.stopped:
        raise ProtocolError(f"cannot play: {page.session.stopped}")
    if not page.playing:
        page.playing = True
        page.player = asyncio.create_task(page.play_loop())
    await page.send_all([page.session.status_message(True)], message.get("id"))


async def _on_pause(page: Page, message: dict[str, Any]) -> None:
    await page.pause()
    await page.send_all([page.session.status_message(False)], message.get("id"))


async def _on_step(page: Page, message: dict[str, Any]) -> None:
    await page.pause()
    frame = await page.run(page.session.advance, message.get("steps"))
    await page.send_all([frame, page.session.status_message(False)], message.get("id"))


async def _rebuilding(page: Page, message: dict[str, Any], work, *args) -> None:
    # A rebuild replaces the trainer; a running player picks the new one up.
    replies = await page.run(work, *args)
    await page.send_all(replies, message.get("id"))


async def _on_reset(page: Page, message: dict[str, Any]) -> None:
    await _rebuilding(page, message, page.session.reset)


async def _on_regenerate(page: Page, message: dict[str, Any]) -> None:
    await _rebuilding(page, message, page.session.regenerate)


async def _on_add_point(page: Page, message: dict[str, Any]) -> None:
    await _rebuilding(page, message, page.session.add_point, message["x"], message["y"])


async def _on_remove_point(page: Page, message: dict[str, Any]) -> None:
    await _rebuilding(page, message, page.session.remove_point, message["index"])


async def _on_view(page: Page, message: dict[str, Any]) -> None:
    page.session.contributions = message["contributions"]
    reply = {"type": "view", "contributions": page.session.contributions}
    await page.send_all([reply], message.get("id"))


async def _on_export(page: Page, message: dict[str, Any]) -> None:
    frames = message.get("frames", page.limits.max_gif_frames)
    reply = await page.run(page.session.export, message["format"], frames)
    await page.send_all([reply], message.get("id"))


async def _on_ping(page: Page, message: dict[str, Any]) -> None:
    await page.send_all(
        [{"type": "pong", "time": time.time() * 1000}], message.get("id")
    )


HANDLERS = {
    "configure": _on_configure,
    "play": _on_play,
    "pause": _on_pause,
    "step": _on_step,
    "reset": _on_reset,
    "regenerate": _on_regenerate,
    "add_point": _on_add_point,
    "remove_point": _on_remove_point,
    "view": _on_view,
    "export": _on_export,
    "ping": _on_ping,
}


def _error(message: str, field: str | None, ident: Any) -> dict[str, Any]:
    reply: dict[str, Any] = {"type": "error", "message": message, "field": field}
    if ident is not None:
        reply["id"] = ident
    return reply
