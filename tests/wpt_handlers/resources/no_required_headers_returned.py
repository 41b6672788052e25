def main(request, response):
    response.add_required_headers = False
    return [(b"Content-Type", b"text/plain")], b"framed by the close"
