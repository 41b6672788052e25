# Answers any origin with the Host it was reached at, for cross-origin fetches.
import json


def main(request, response):
    response.headers.set("Access-Control-Allow-Origin", "*")
    response.headers.set("Content-Type", "application/json")
    return json.dumps({"host": request.headers.get("host", b"").decode()})
