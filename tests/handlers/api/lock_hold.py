"""Hold the stash lock for ?seconds=S, saying so in the stash (?id=) once it is held."""

import time


def main(request, response):
    stash = request.server.stash
    with stash.lock:
        stash.put(request.GET.first(b"id"), "holding", path="/lock-test")
        time.sleep(float(request.GET.first(b"seconds")))
    return "released"
