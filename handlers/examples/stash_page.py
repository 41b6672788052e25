# examples/stash_page.py: a page that talks to the Python test and a WSS handler through the stash
PAGE = """<!doctype html>
<script src="/harness/stash.js"></script>
<p id="status">running</p>
<script>
(async () => {
  const query = new URLSearchParams(location.search);
  const [fromTest, relayed, result] = ["from_test", "relay", "result"].map((name) => query.get(name));
  const greeting = await stash.take(fromTest, {timeout: 10});  // put by the test at this page's path
  const ws = new WebSocket("WSS_URL?id=" + relayed);
  const reply = new Promise((resolve, reject) => {
    ws.onmessage = (event) => resolve(JSON.parse(event.data));
    ws.onerror = () => reject(new Error("websocket failed"));
  });
  await new Promise((resolve) => (ws.onopen = resolve));
  await stash.put(relayed, greeting.text + ", relayed", {path: "/examples/relay"});
  const fromWss = await reply;
  const log = await stash.table("relay-log").get(relayed);
  await stash.put(result, {fromWss, log});  // the test takes it
  document.getElementById("status").textContent = "done";
})().catch((error) => (document.getElementById("status").textContent = "error: " + error));
</script>
"""


def main(request, response):
    response.headers.set("Content-Type", "text/html; charset=utf-8")
    return PAGE.replace("WSS_URL", request.server.url("wss", "/examples/relay"))
