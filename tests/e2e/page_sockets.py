"""Session sockets that behave as a customer's page does, for drills that need
more pages than browsers are cheap for (#14 item 5).

A page joins by the form (CSRF token, redirect, cookie) and opens the socket
its `ws-connect` names, with its cookie. After a close with 1006, 1011, 1012
or 1013 it reconnects as htmx's ws extension 2.0.4 does, after a full-jitter
pause of up to 1, 2, 4 … 64 s that starts again at 1 s once a socket opens; a
line sent while the socket is not open waits for the next one. It resyncs as
the page does, which is by doing nothing: on every (re)connect the server
sends the panels and the chat log, which replaces the page's `#chat-log`, and
each line after that is appended to it.
"""

import asyncio
import html
import http.cookiejar
import json
import random
import re
import time
import urllib.parse
import urllib.request

import websockets

RECONNECTING_CLOSES = {1006, 1011, 1012, 1013}
CHAT_LINE = re.compile(
    r'<li class="chat-line" id="chat-(\d+)"[^>]*>.*?<p class="chat-text">(.*?)</p>', re.S
)


def reconnect_delay(retry_count: int) -> float:
    """htmx's "full-jitter", in seconds."""
    return random.random() * 2 ** min(retry_count, 6)


def join_by_form(base: str, number: str, name: str) -> tuple[str, str, str]:
    """A customer joins as the Delta form does; returns the socket URL its
    page connects to, and the Cookie and Origin headers its browser sends."""
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(cookies)
    )
    form = opener.open(base + "/join/", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    fields = urllib.parse.urlencode({"csrf_token": token, "number": number, "name": name})
    page = opener.open(base + "/join/", data=fields.encode(), timeout=30).read().decode()
    path = html.unescape(re.search(r'ws-connect="([^"]+)"', page).group(1))
    cookie = "; ".join(f"{c.name}={c.value}" for c in cookies)
    return base.replace("http://", "ws://", 1) + path, cookie, base


class PageSocket:
    def __init__(self, url: str, cookie: str, origin: str):
        self.url, self.cookie, self.origin = url, cookie, origin
        self.chat_log: dict[int, str] = {}  # what the page's #chat-log shows: id -> text
        self.resynced_at: list[float] = []  # each (re)connect's chat log arrived
        self.lost_at: list[float] = []  # the socket closed under the page
        self.close_codes: list[int] = []
        self.attempts: list[tuple[float, float | None]] = []  # connect begun, opened
        self.sent: list[str] = []
        self.sent_on: dict[str, int] = {}  # line -> the connect it went out on, counting from 1
        self.accepted: dict[str, tuple[int, float]] = {}  # own line -> id, when seen back
        self._connection = None
        self._open = asyncio.Event()
        self._stopping = False

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    @property
    def local_port(self) -> int | None:
        """The client's port, by which the server's side of the socket is found."""
        return self._connection.local_address[1] if self.is_open else None

    async def run(self) -> None:
        retry_count = 0
        while not self._stopping:
            code = 1006  # what a browser reports when the connect itself fails
            self.attempts.append((time.monotonic(), None))
            try:
                async with websockets.connect(
                    self.url,
                    additional_headers={"Cookie": self.cookie, "Origin": self.origin},
                    open_timeout=30,
                    ping_interval=None,  # a browser sends no pings
                    compression=None,
                    max_size=None,
                    proxy=None,
                ) as connection:
                    self._connection, retry_count = connection, 0
                    self.attempts[-1] = (self.attempts[-1][0], time.monotonic())
                    self._open.set()
                    try:
                        async for frame in connection:
                            self._take(frame)
                    except websockets.ConnectionClosed:
                        pass
                    code = connection.close_code or 1006
            except (OSError, TimeoutError, websockets.WebSocketException):
                pass
            self._open.clear()
            if self._stopping:
                return
            self.lost_at.append(time.monotonic())
            self.close_codes.append(code)
            if code not in RECONNECTING_CLOSES:
                return  # the page gives up too
            await asyncio.sleep(reconnect_delay(retry_count))
            retry_count += 1

    def _take(self, frame: str) -> None:
        if frame.startswith("{"):
            return  # signalling for the media script
        lines = {int(id_): html.unescape(text) for id_, text in CHAT_LINE.findall(frame)}
        if 'id="chat-log"' in frame:  # the log a (re)connect sends replaces the page's
            self.chat_log = lines
            self.resynced_at.append(time.monotonic())
        else:
            self.chat_log.update(lines)
        for id_, text in lines.items():
            if text in self.sent and text not in self.accepted:
                self.accepted[text] = (id_, time.monotonic())

    async def say(self, text: str) -> None:
        """Sends a chat line as the form's ws-send does: at once on an open
        socket, else when the next one opens."""
        self.sent.append(text)
        while True:
            await self._open.wait()
            try:
                await self._connection.send(json.dumps({"message": text}))
                self.sent_on[text] = len(self.attempts)
                return
            except websockets.ConnectionClosed:
                await asyncio.sleep(0.05)  # until run() sees the close

    def in_flight(self) -> list[str]:
        """Own lines not seen back yet on the socket they went out on: the
        server has them still to store and announce."""
        return [text for text, on in self._unanswered() if on == len(self.attempts)]

    def lost_with_a_socket(self) -> list[str]:
        """Own lines sent on a socket that was then lost, never seen back."""
        return [text for text, on in self._unanswered() if on < len(self.attempts)]

    def _unanswered(self) -> list[tuple[str, int]]:
        return [(text, on) for text, on in self.sent_on.items() if text not in self.accepted]

    async def stop(self) -> None:
        self._stopping = True
        if self._connection is not None:
            await self._connection.close()
