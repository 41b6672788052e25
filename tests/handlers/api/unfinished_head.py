"""Write a status and a header with the raw writer, and never end the head."""


def main(request, response):
    response.writer.write_status(200)
    response.writer.write_header("X-Unfinished", "yes")
