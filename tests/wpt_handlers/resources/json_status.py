from wptserve import handlers


@handlers.json_handler
def main(request, response):
    return 201, [(b"X-Made", b"yes")], {"made": True}
