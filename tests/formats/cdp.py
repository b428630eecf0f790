"""A minimal Chrome DevTools Protocol client over a pipe (standard library
only), to load a page in Debian's headless Chromium and see what a person's
browser would: the DOM as rendered, every console message and page error,
and every network request the page makes.

Chromium started with --remote-debugging-pipe reads protocol messages from
its file descriptor 3 and writes to 4, each a JSON object ended by a NUL
byte. No port is opened, so nothing else on the machine can talk to it and
tests running in parallel cannot collide.
"""

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

# Flags for a quiet, private, offline browser: no first-run UI, no
# background connections (this machine has no network besides package
# registries), no sandbox (tests run as root in CI), no GPU.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--remote-debugging-pipe",
]


class ProtocolError(Exception):
    """The browser did not answer as the protocol says, or not in time."""


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _high_fd(fd):
    """A copy of fd numbered 100 or above, so moving it to 3 or 4 in the
    child cannot overwrite the other end."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
    os.close(fd)
    return new


class Browser:
    """One headless Chromium; use in a `with` block, which ends it."""

    def __init__(self, chromium, timeout=60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="lgtest-chromium-")
        cmd_read, cmd_write = os.pipe()  # we write, the browser reads (its fd 3)
        res_read, res_write = os.pipe()  # the browser writes (its fd 4), we read
        child_in, child_out = _high_fd(cmd_read), _high_fd(res_write)

        def move_fds():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [chromium] + CHROMIUM_FLAGS + [f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            pass_fds=(3, 4),
            preexec_fn=move_fds,
            start_new_session=True,
        )
        os.close(child_in)
        os.close(child_out)
        self.to_browser, self.from_browser = cmd_write, res_read
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        with contextlib.suppress(Exception):
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for fd in (self.to_browser, self.from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def stderr(self):
        """What the browser printed (for failure messages)."""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError("the browser did not answer in time")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise ProtocolError("the browser closed its DevTools pipe (it exited?)")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=None):
        """Sends a command and returns its result; events that arrive
        meanwhile are kept in self.events."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") != self.next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise ProtocolError(f"{method}: {reply['error']}")
            return reply.get("result", {})

    def wait_for(self, method, session, timeout=None):
        """Waits for an event (one that already arrived counts)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self.events)
            self.events.append(self._read_message(deadline))

    def open(self, url, width=1280, height=900):
        """Opens url in a new tab with console, log and network events on,
        and waits until it has loaded. Returns the tab's session id."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=session)
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session, expression):
        result = self.call("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True}, session=session)
        if "exceptionDetails" in result:
            raise ProtocolError(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session, path):
        data = self.call("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True}, session=session)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data["data"]))

    def problems(self, session):
        """Console errors and warnings, uncaught exceptions, and log entries
        at warning level or above (failed loads, blocked content), as text."""
        found = []
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                               "warning",
                                                                               "assert"):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in
                                params.get("args", []))
                found.append(f"console.{params['type']}: {args}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                if entry.get("level") in ("error", "warning"):
                    found.append(f"log {entry.get('level')} ({entry.get('source')}): "
                                 f"{entry.get('text')} {entry.get('url', '')}")
            elif method == "Network.loadingFailed":
                found.append(f"failed to load: {params.get('errorText')}")
        return found

    def requests(self, session):
        """The URL of every request the page made (its own included)."""
        return [event["params"]["request"]["url"] for event in self.events
                if event.get("sessionId") == session
                and event.get("method") == "Network.requestWillBeSent"]
