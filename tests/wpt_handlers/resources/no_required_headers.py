def main(request, response):
    response.add_required_headers = False
    if b"content_type" in request.GET:
        response.writer.write_header(b"Content-Type", request.GET.first(b"content_type"))
    response.writer.write_content("body { color: green }")
