# tour/wait_wsh.py: ws[s]://.../wait?id=UUID waits for the beacon and sends it
def main(ws, request):
    key = request.GET.first(b"id")
    value = request.server.stash.take(key, path="/beacons", timeout=30)
    ws.send(value or b"")
