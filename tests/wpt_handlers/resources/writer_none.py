def main(request, response):
    try:
        response.writer.write(None)
    except ValueError as error:
        return "ValueError: " + str(error)[:40]
    return "no error"
