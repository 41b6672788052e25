"""Raw control through response.writer; ?length=1 declares a Content-Length (keep-alive)."""


def main(request, response):
    writer = response.writer
    writer.write_status(203, "Raw")
    writer.write_header("Content-Type", "text/plain")
    writer.write_header("X-Raw", 1)
    if b"length" in request.GET:
        writer.write_header("Content-Length", len(b"written raw"))
    writer.end_headers()
    writer.write(b"written ")
    writer.write_content("raw")
