"""The counter of counter.py over WS(S): each message increments it; the reply is the new count.

ws[s]://host:port/conformance/counter?id=UUID&path=P
"""


def main(ws, request):
    key = request.GET.first(b"id")
    path = request.GET.first(b"path")
    stash = request.server.stash
    for _message in ws:
        with stash.lock:
            count = (stash.take(key, path=path) or 0) + 1
            stash.put(key, count, path=path)
        ws.send(str(count))
