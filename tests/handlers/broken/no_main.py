"""A handler file that forgot main."""


def handler(request, response):
    return "never called"
