"""Build a response from the query: ?status=404&message=Gone&set=Name:Value&append=Name:Value&int=Name:7"""


def main(request, response):
    if b"status" in request.GET:
        code = int(request.GET.first(b"status"))
        message = request.GET.first(b"message", None)
        response.status = (code, message) if message is not None else code
    for item in request.GET.get_list(b"set"):
        name, _, value = item.partition(b":")
        response.headers.set(name, value)
    for item in request.GET.get_list(b"append"):
        name, _, value = item.partition(b":")
        response.headers.append(name, value)
    for item in request.GET.get_list(b"int"):
        name, _, value = item.partition(b":")
        response.headers.set(name, int(value))
    response.content = request.GET.first(b"body", b"")
