# tour/beacon.py: POST /beacon.py?id=UUID stores the body; GET takes it back
def main(request, response):
    key = request.GET.first(b"id")
    if request.method == "POST":
        request.server.stash.put(key, request.body, path="/beacons")
        return "stored"
    value = request.server.stash.take(key, path="/beacons", timeout=10)
    return (404, [], "nothing came") if value is None else value
