"""response.set_error(code, message) from ?code=&message="""


def main(request, response):
    response.set_error(int(request.GET.first(b"code")), request.GET.first(b"message", b"").decode())
