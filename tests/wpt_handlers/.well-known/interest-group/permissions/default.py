def main(request, response):
    return [(b"Content-Type", b"application/json")], b'{"from": "default.py"}'
