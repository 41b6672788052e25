"""Not a handler: a module handlers import from the document root."""


def greeting():
    return "hello from a helper module"
