# Writes a frame the client must reject, straight to the socket: ?kind=rsv (a reserved bit set),
# ?kind=utf8 (a text frame that is not UTF-8), ?kind=split (a valid message in two writes).
# ?kind=read reads the client's next frame raw (8 bytes: a 2-byte text message) and reports its head.
from urllib.parse import parse_qs, urlsplit

from mod_pywebsocket import common, stream, util


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    kind = parse_qs(urlsplit(request.ws_resource).query).get("kind", [""])[0]
    if kind == "read":
        frame = request.connection.read(8)
        request.ws_stream.send_message(f"{len(frame)}: {util.hexify(frame[:2])}")
    elif kind == "rsv":
        request.connection.write(b"\xc1\x02hi")  # FIN + RSV1 + text, no extension agreed
    elif kind == "utf8":
        request.connection.write(stream.create_binary_frame(b"\xff\xfe", opcode=common.OPCODE_TEXT))
    else:
        frame = stream.create_text_frame("in two writes")
        request.connection.write(frame[:3])
        request.connection.write(frame[3:])
    request.ws_stream.receive_message()
