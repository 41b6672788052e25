from wptserve.handlers import json_handler


@json_handler
def main(request, response):
    return {"method": request.method, "x": request.GET.first(b"x", b"").decode()}
