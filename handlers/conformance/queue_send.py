"""Take the queue a WS handler stashed (see queue_wsh.py) and send msg through it."""


def main(request, response):
    channel = request.server.stash.take(request.GET.first(b"id"), path="/conformance/queue", timeout=10)
    if channel is None:
        return 404, [], "no queue under this id"
    channel.put(request.GET.first(b"msg").decode("utf-8"))
    return "sent"
