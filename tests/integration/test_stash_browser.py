"""A real headless Chromium using /harness/stash.js: with a WSS handler and the Python test,
and from a page of another origin that holds a capability."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

pytestmark = pytest.mark.browser


def test_a_page_coordinates_with_the_test_and_a_wss_handler_through_stash_js(harness_page, stash, tokens) -> None:
    from_test, relayed, result = tokens(), tokens(), tokens()
    stash.put(from_test, {"text": "hello"}, path="/examples/stash_page.py")
    harness_page.goto(f"/examples/stash_page.py?from_test={from_test}&relay={relayed}&result={result}")
    outcome = stash.take(result, path="/examples/stash_page.py", timeout=20)
    assert outcome == {"fromWss": "hello, relayed", "log": ["hello, relayed"]}, harness_page.text_content("#status")
    harness_page.wait_for_function("document.querySelector('#status').textContent !== 'running'", timeout=15000)
    assert harness_page.text_content("#status") == "done"
    assert stash.table("relay-log").pop(relayed) == ["hello, relayed"]


FOREIGN_PAGE = """
<script src="{script}"></script>
<script>
window.run = async (capability, key, table) => {{
  const scoped = new HarnessStash({{capability, path: "/from-elsewhere"}});
  const out = {{}};
  await scoped.put(key, new Uint8Array([0, 255]));
  out.bytes = Array.from(await scoped.take(key));
  await scoped.put(key, {{ok: true}}, {{path: "/not-mine"}}).catch((e) => (out.wrongPath = [e.name, e.status]));
  await scoped.table(table).get("k").catch((e) => (out.table = e.status));
  await stash.take(key, {{path: "/from-elsewhere"}}).catch((e) => (out.noCapability = [e.status, e.message]));
  await scoped.put(key, "for the test");
  return out;
}};
</script>
"""


def test_a_page_of_another_origin_needs_a_capability_and_keeps_to_its_scope(
    harness, harness_page, stash, token
) -> None:
    # set_content gives an about:blank document: its requests carry "Origin: null".
    harness_page.set_content(FOREIGN_PAGE.format(script=harness.url("https", "/harness/stash.js")))
    capability = stash.capability(path="/from-elsewhere", ttl=60)
    out = harness_page.evaluate("([cap, key]) => window.run(cap, key, 'nope')", [capability, token])
    assert out["bytes"] == [0, 255]
    assert out["wrongPath"] == ["StashRefused", 403]
    assert out["table"] == 403
    status, message = out["noCapability"]
    assert status == 403
    assert "needs a capability" in message
    assert stash.take(token, path="/from-elsewhere") == "for the test"
    assert json.dumps(out)  # everything the page saw was plain data


class _ForeignSite:
    """A plain HTTP server on another loopback port: a real page of another origin."""

    def __init__(self, page: str) -> None:
        body = page.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _ForeignSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


OTHER_ORIGIN_PAGE = """
<script src="{script}"></script>
<script>
window.run = async (key) => {{
  const refused = (e) => [e.status, e.message];
  return {{
    take: await stash.take(key, {{path: "/private"}}).catch(refused),
    table: await stash.table("private").get("k").catch(refused),
  }};
}};
</script>
"""


def test_a_real_page_of_another_origin_cannot_read_the_stash_without_a_capability(
    harness, harness_page, stash, token
) -> None:
    stash.put(token, "secret", path="/private")
    with _ForeignSite(OTHER_ORIGIN_PAGE.format(script=harness.url("https", "/harness/stash.js"))) as site:
        harness_page.goto(site.origin + "/")
        out = harness_page.evaluate("(key) => window.run(key)", token)
    for status, message in out.values():
        assert status == 403
        assert f"a page on {site.origin} needs a capability" in message  # the browser's own Origin header
    assert stash.take(token, path="/private") == "secret"
