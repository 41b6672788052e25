"""Misuse the stash from a handler (?case=...): each must fail with a clear Python exception."""


def main(request, response):
    stash = request.server.stash
    case = request.GET.first(b"case").decode()
    if case == "bad_key":
        stash.put("not-a-uuid", "x")
    elif case == "none":
        stash.put(request.GET.first(b"id"), None)
    elif case == "unpicklable":
        stash.put(request.GET.first(b"id"), lambda: None)
    elif case == "huge":
        stash.put(request.GET.first(b"id"), b"x" * 200_000)
    elif case == "bad_path":
        stash.take(request.GET.first(b"id"), path=42)
    elif case == "bad_timeout":
        stash.take(request.GET.first(b"id"), timeout=-1)
    return "no error?"
