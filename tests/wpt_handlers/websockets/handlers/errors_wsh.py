# ?what=raise: the handler raises after the handshake; ?what=binary-str: sends str as binary
# (a BadOperationException); otherwise it reads, and lets stream errors through.
from urllib.parse import parse_qs, urlsplit


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    what = parse_qs(urlsplit(request.ws_resource).query).get("what", [""])[0]
    if what == "raise":
        raise RuntimeError("handler blew up")
    if what == "binary-str":
        request.ws_stream.send_message("text", binary=True)
    while request.ws_stream.receive_message() is not None:
        pass
