"""The rules one version's contract sets for a request's input, read from its effective spec.

The client checks a call's input against them before sending: the phone field's E.164
pattern and the custom attributes' schema, with the value types it admits. The facts
come from ``intercom_phone_switch.spec`` (the one reader of the effective specs), which
finds each field through the version's ``x-stable-names``; nothing here repeats them.

A Contract is built once per version and process; checking a call's input costs a regex
match and, for custom attributes, a type lookup per value. jsonschema is imported and the
schema compiled only when a value is not a plain JSON scalar (a custom object instance list,
or something that will be rejected).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from .spec import EffectiveSpec, effective, to_json_schema

__all__ = ["Contract", "contract_of"]

#: JSON Schema type name -> the Python types that are exactly that JSON type. Subclasses
#: (an IntEnum, a str subclass) are left to jsonschema, which decides with isinstance.
_EXACT_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}
_ANNOTATIONS = frozenset({"type", "title", "description", "example", "examples"})


class Contract:
    """The rules one Intercom-Version's effective spec sets for a phone switch request."""

    def __init__(self, spec: EffectiveSpec) -> None:
        self.version = spec.version
        self.document = spec.document
        self.phone_pattern = spec.phone_pattern
        #: The schema of custom_attributes (None: this version admits none).
        self.attribute_schema: Mapping[str, Any] | None = spec.attribute_schema
        branches = spec.attribute_value_branches
        #: Human names of the value types custom attributes admit, in the spec's order.
        self.value_types: tuple[str, ...] = spec.attribute_value_types
        self._exact: frozenset[type] = frozenset(
            python
            for branch in branches
            if isinstance(branch, Mapping)
            and set(branch) <= _ANNOTATIONS
            and branch.get("type") in _EXACT_TYPES
            for python in _EXACT_TYPES[branch["type"]]
        )
        #: Whether the schema constrains nothing but the values' types, so that a value of
        #: an exactly matching JSON type needs no further check.
        self._values_only = self.attribute_schema is not None and set(
            self.attribute_schema
        ) <= _ANNOTATIONS | {"additionalProperties"}
        self._validator: Any = None

    def __repr__(self) -> str:
        return f"<Contract of Intercom-Version {self.version}>"

    # -- custom attributes ---------------------------------------------------------------

    def problem(self, attributes: Mapping[str, object]) -> tuple[str | None, str | None] | None:
        """None when the spec allows ``attributes``, else (attribute name or None, detail).

        The detail is jsonschema's message about a part of a value, or None when the value
        as a whole matches none of the allowed types.
        """
        exact = self._exact
        if self._values_only:
            for name, value in attributes.items():
                if type(value) not in exact:
                    found = self._first_error({name: value})
                    if found is not None:
                        return found
            return None
        if self.attribute_schema is None:
            return None, f"Intercom-Version {self.version} describes no custom attributes"
        return self._first_error(attributes)

    def _first_error(self, instance: Mapping[str, object]) -> tuple[str | None, str | None] | None:
        from jsonschema.exceptions import best_match

        error = best_match(self._compiled().iter_errors(instance))
        if error is None:
            return None
        path = list(error.absolute_path)
        return (str(path[0]) if path else None), (error.message if len(path) > 1 else None)

    def _compiled(self) -> Any:
        if self._validator is None:
            from jsonschema import Draft4Validator

            schema = dict(to_json_schema(self.attribute_schema))
            # Keep the document's components beside the schema so local $refs resolve.
            schema["components"] = to_json_schema(self.document.get("components", {}))
            self._validator = Draft4Validator(schema)
        return self._validator


@functools.cache
def contract_of(version: str) -> Contract:
    """The Contract of ``version`` (a key of the registry's VERSIONS), built once."""
    return Contract(effective(version))
