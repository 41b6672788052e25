# Picks the offered subprotocol named by ?pick=, sends back what it saw. ?pick=unoffered sets a
# subprotocol the client did not offer; ?pick=none picks nothing.
from urllib.parse import parse_qs, urlsplit


def web_socket_do_extra_handshake(request):
    pick = parse_qs(urlsplit(request.uri).query).get("pick", [""])[0]
    if pick == "none":
        return
    if pick == "unoffered":
        request.ws_protocol = "never-offered"
        return
    if pick in (request.ws_requested_protocols or []):
        request.ws_protocol = pick


def web_socket_transfer_data(request):
    request.ws_stream.send_message(f"{request.ws_requested_protocols!r} {request.ws_protocol!r}")
