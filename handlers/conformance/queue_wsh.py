"""A message channel (like wpt's msg_channel): this WS handler makes a queue in the stash
server, stashes it under id, says "ready", and forwards what arrives on the queue.

ws[s]://host:port/conformance/queue?id=UUID   then   GET /conformance/queue_send.py?id=UUID&msg=M
"""

import queue


def main(ws, request):
    channel = request.server.stash.get_queue()
    request.server.stash.put(request.GET.first(b"id"), channel, path="/conformance/queue")
    ws.send("ready")
    try:
        ws.send(channel.get(timeout=10))
    except queue.Empty:
        ws.send("nothing arrived on the queue within 10 s")
