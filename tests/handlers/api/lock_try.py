"""Try to take the stash lock within ?timeout=T seconds; answer acquired or busy."""


def main(request, response):
    lock = request.server.stash.lock
    if lock.acquire(timeout=float(request.GET.first(b"timeout"))):
        lock.release()
        return "acquired"
    return "busy"
