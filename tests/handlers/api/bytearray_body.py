def main(request, response):
    response.content = bytearray(b"from a bytearray")
