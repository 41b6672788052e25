"""Block in a stash take of ?id= at ?path= for up to ?timeout= seconds."""


def main(request, response):
    value = request.server.stash.take(
        request.GET.first(b"id"), path=request.GET.first(b"path"), timeout=float(request.GET.first(b"timeout"))
    )
    return "nothing" if value is None else value
