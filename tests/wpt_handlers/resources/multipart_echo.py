import json


def main(request, response):
    fields = {}
    for name, values in request.POST.items():
        described = []
        for value in values:
            if isinstance(value, bytes):
                described.append({"value": value.decode("latin-1")})
            else:
                described.append({"filename": value.filename, "value": value.value.decode("latin-1")})
        fields[name.decode("latin-1")] = described
    return [(b"Content-Type", b"application/json")], json.dumps(fields, sort_keys=True)
