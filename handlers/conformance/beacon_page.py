"""The browser conformance page, served over HTTPS.

GET /conformance/beacon_page.py?id=UUID&beacon=UUID

The page (1) POSTs "posted by fetch" to the HTTP server's stash.py with CORS, under id;
(2) sends "sent by beacon" to the HTTPS server with navigator.sendBeacon, under beacon;
(3) opens a WSS socket to stash_wsh.py, which takes what the POST put and sends it back.
The results land in #fetch, #ws and #error for the test to read.
"""

import json

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>stash-harness browser conformance</title>
<p>fetch status: <output id="fetch"></output></p>
<p>taken over wss: <output id="ws"></output></p>
<p>error: <output id="error"></output></p>
<script>
const settings = %(settings)s;
const show = (id, text) => { document.getElementById(id).textContent = text; };
async function run() {
  const stashUrl = (base, op, key) => `${base}/conformance/stash.py?op=${op}&id=${key}&path=/browser`;
  const posted = await fetch(stashUrl(settings.http, "put", settings.id), {
    method: "POST", body: "posted by fetch", headers: {"Content-Type": "text/plain"},
  });
  show("fetch", String(posted.status));
  if (!navigator.sendBeacon(stashUrl("", "put", settings.beacon), "sent by beacon")) {
    throw new Error("sendBeacon was refused");
  }
  const ws = new WebSocket(`${settings.wss}/conformance/stash`);
  ws.onopen = () => ws.send(JSON.stringify({op: "take", id: settings.id, path: "/browser", timeout: 10}));
  ws.onmessage = (event) => { show("ws", JSON.parse(event.data).value); ws.close(); };
  ws.onerror = () => show("error", "the WebSocket failed");
}
run().catch((error) => show("error", String(error)));
</script>
"""


def main(request, response):
    settings = {
        "id": request.GET.first(b"id").decode("ascii"),
        "beacon": request.GET.first(b"beacon").decode("ascii"),
        "http": request.server.url("http", "").rstrip("/"),
        "wss": request.server.url("wss", "").rstrip("/"),
    }
    response.headers.set("Content-Type", "text/html; charset=utf-8")
    return PAGE % {"settings": json.dumps(settings)}
