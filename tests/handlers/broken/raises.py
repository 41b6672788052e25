def main(request, response):
    raise ValueError("the handler broke on purpose")
