def main(request, response):
    try:
        response.writer.write(None)
        outcome = b"no error"
    except ValueError:
        outcome = b"ValueError"
    response.writer.write_status(200)
    response.writer.write_header(b"Content-Length", len(outcome))
    response.writer.end_headers()
    response.writer.write_content(outcome)
