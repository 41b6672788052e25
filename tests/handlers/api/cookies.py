"""Set cookies: ?name=N&value=V&max_age=S&samesite=Lax&secure=1&httponly=1; ?delete=N deletes."""


def main(request, response):
    if b"delete" in request.GET:
        response.delete_cookie(request.GET.first(b"delete"))
        return "deleted"
    max_age = request.GET.first(b"max_age", None)
    response.set_cookie(
        request.GET.first(b"name"),
        request.GET.first(b"value"),
        max_age=int(max_age) if max_age else None,
        samesite=(request.GET.first(b"samesite", b"") or b"").decode() or None,
        secure=b"secure" in request.GET,
        httponly=b"httponly" in request.GET,
    )
    return "set"
