"""The helpers of pywebsocket's ``util`` that handlers call."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["get_class_logger", "hexify", "pack_byte", "prepend_message_to_exception"]


def hexify(data: bytes) -> str:
    """``data`` as space-separated hex bytes: ``hexify(b"ab") == "61 62"``."""
    return " ".join(f"{byte:02x}" for byte in data)


def get_class_logger(instance: Any) -> logging.Logger:
    """The logger named after ``instance``'s module and class."""
    cls = type(instance)
    return logging.getLogger(f"{cls.__module__}.{cls.__name__}")


def pack_byte(value: int) -> bytes:
    """One byte holding ``value``."""
    return bytes((value,))


def prepend_message_to_exception(message: str, exc: BaseException) -> None:
    """Put ``message`` in front of ``exc``'s first argument."""
    exc.args = (message + str(exc.args[0] if exc.args else ""), *exc.args[1:])
