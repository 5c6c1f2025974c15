"""A compiled check of request bodies, in front of the reference validator.

jsonschema (the reference, pure Python) takes about 45 µs to accept a typical request
body of this API; jsonschema-rs (Rust, in the ``[fake]`` extra) takes about 0.3 µs, and
fastjsonschema (Python code generated from the schema) about 8 µs. The served fake
checks each body with the compiled validator first: what it accepts is valid. What it
refuses goes to the reference validator, which decides and words the error, so the
two need only agree where the compiled one says "valid" (a property test holds them to
it for every supported version). jsonschema-rs is stricter than the reference in a few
places (ECMA-262 regexes: ``$`` does not match before a trailing newline), which only
sends those bodies the slow way.

Without jsonschema-rs (a platform it has no wheel for), the reference validator checks
every body alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def compiled(schema: Mapping[str, Any]) -> Callable[[Any], bool] | None:
    """A quick ``is_valid`` for ``schema`` (JSON Schema draft 4, formats not checked, as
    the reference validator does by default); None when none is installed or it cannot
    take the schema."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        validator = jsonschema_rs.Draft4Validator(dict(schema), validate_formats=False)
    except Exception:  # a schema or version it cannot take: the reference alone, then
        return None

    def is_valid(data: Any) -> bool:
        try:
            return bool(validator.is_valid(data))
        except Exception:  # values it cannot convert (too deep, say): the reference decides
            return False

    return is_valid
