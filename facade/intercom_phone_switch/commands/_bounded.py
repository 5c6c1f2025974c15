"""A click parameter type for the fake's numeric settings, checked by their Bound."""

from __future__ import annotations

from typing import Any

import click

from intercom_phone_switch.fake._bounds import Bound


class Bounded(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A number in its Bound's range; anything else (inf, nan, 1e999, -1) is a usage
    error, exit status 2."""

    def __init__(self, bound: Bound) -> None:
        self.bound = bound
        self.name = f"{'integer' if bound.integer else 'number'} {bound.describe()}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = value
        if isinstance(value, str):
            try:
                number = int(value.strip()) if self.bound.integer else float(value.strip())
            except ValueError:
                kind = "a whole number" if self.bound.integer else "a number"
                self.fail(f"{value[:40]!r} is not {kind}", param, ctx)
        try:
            return self.bound.check(number)
        except ValueError as error:
            self.fail(str(error), param, ctx)
