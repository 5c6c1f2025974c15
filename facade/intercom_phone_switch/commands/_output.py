"""What the commands print: plain lines, never cut, secrets masked, foreign text printable.

Text a server sent (an error message, a request id, a Messenger link) may hold the access
token, control characters that steer a terminal, or characters no stream can encode; each
line goes through ``Output.text`` before it is shown. Lines are printed whole: the
terminal, a pipe or a CI log wraps them, nothing here cuts them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import click

from intercom_phone_switch._redact import Masker

_KEEP = {"\n", "\t"}


def printable(text: str) -> str:
    """``text`` with control characters and lone surrogates written as escapes."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char in _KEEP or char.isprintable() or unicodedata.category(char) == "Zs":
            out.append(char)
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


def _masked(value: Any, mask: Masker) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask(str(key)): _masked(item, mask) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item, mask) for item in value]
    return value


class Output:
    """Prints for one command run, masking the secrets it knows."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.mask = Masker(secrets)

    def text(self, value: object) -> str:
        return printable(self.mask(str(value)))

    def line(self, value: object = "", *, err: bool = False, **style: Any) -> None:
        text = self.text(value)
        if style:
            click.secho(text, err=err, **style)
        else:
            click.echo(text, err=err)

    def json(self, data: Any) -> None:
        click.echo(self.mask(json.dumps(_masked(data, self.mask), sort_keys=True)))

    @contextlib.contextmanager
    def library_logs(self) -> Iterator[None]:
        """The client's warnings on stderr, masked, instead of Python's last-resort handler."""
        from intercom_phone_switch._logging import environment_handler

        log = logging.getLogger("intercom_phone_switch")
        # INTERCOM_PHONE_SWITCH_LOG already writes the records to stderr: not twice.
        handler = None if environment_handler() is not None else _Handler(self)
        masking = _MaskingFilter(self)
        propagate = log.propagate
        # First among the logger's filters: the known secrets go whole, before any pattern
        # that masks only the part of them it recognises.
        log.filters.insert(0, masking)
        if handler is not None:
            log.addHandler(handler)
        log.propagate = False
        try:
            yield
        finally:
            if handler is not None:
                log.removeHandler(handler)
            log.removeFilter(masking)
            log.propagate = propagate


class _MaskingFilter(logging.Filter):
    def __init__(self, output: Output) -> None:
        super().__init__()
        self.output = output

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        masked = self.output.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _Handler(logging.Handler):
    def __init__(self, output: Output) -> None:
        super().__init__(logging.WARNING)
        self.output = output

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        self.output.line(f"{record.levelname.lower()}: {message}", err=True)
