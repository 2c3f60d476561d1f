"""Request schemas that load from a plan made once per schema: marshmallow's checks, without its per-field costs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing
from marshmallow.validate import And

_FIELD_DESERIALIZE = fields.Field.deserialize
_FIELD_VALIDATE = fields.Field._validate
_FIELD_VALIDATE_ALL = fields.Field._validate_all
_FIELD_VALIDATE_MISSING = fields.Field._validate_missing


class InputSchema(Schema):
    """A request body's schema; `load` gives what marshmallow's own loading gives, errors included.

    Loading a field the way marshmallow does costs a closure, a keyword dict, a helper call and a new
    `And` of the field's validators per field and per load: on the order, the checkout's hot path
    (~35 fields), that was as much as the checks themselves. Here each schema makes a plan once, and
    each field is checked by the same steps in the same order (required, null, the field's own
    `_deserialize`, its validators), its errors stored under the same keys. Options the plan does not
    cover (partial, many, unknown other than RAISE, a field that overrides `deserialize` or `_validate`)
    take marshmallow's own path. tests/unit/test_input_plan.py compares the two.
    """

    fast_load = True  # False: marshmallow's own loop (the tests compare the two)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._load_plan: _Plan | None = None

    def _deserialize(self, data, *, error_store, many=False, partial=None, unknown=RAISE, index=None):
        if not self.fast_load or many or partial is not None or unknown != RAISE:
            return super()._deserialize(data, error_store=error_store, many=many, partial=partial,
                                        unknown=unknown, index=index)
        index = index if self.opts.index_errors else None
        result = self.dict_class()
        if not isinstance(data, Mapping):
            error_store.store_error([self.error_messages["type"]], index=index)
            return result
        plan = self._load_plan or self._make_load_plan()
        for name, key, field, validate in plan.fields:
            raw = data.get(name, missing)
            try:
                if validate is None:  # a field with steps of its own: all of them, as marshmallow calls them
                    value = field.deserialize(raw, name, data)
                else:
                    value = _load_field(field, validate, raw, name, data)
            except ValidationError as error:
                error_store.store_error(error.messages, name, index=index)
                # A Nested field that failed keeps the valid part of its data here, as in marshmallow.
                value = error.valid_data or missing
            if value is not missing:
                result[key] = value
        for key in set(data) - plan.names:  # in marshmallow's order (a set's), so errors list the same way
            error_store.store_error([self.error_messages["unknown"]], key, index)
        return result

    def _make_load_plan(self) -> _Plan:
        entries = []
        for attribute, field in self.load_fields.items():
            name = field.data_key if field.data_key is not None else attribute
            key = field.attribute or attribute
            if "." in key:
                raise TypeError(f"{type(self).__name__}.{attribute}: a request field is stored under its name")
            kind = type(field)
            own_steps = (kind.deserialize is not _FIELD_DESERIALIZE or kind._validate is not _FIELD_VALIDATE
                         or kind._validate_all is not _FIELD_VALIDATE_ALL
                         or kind._validate_missing is not _FIELD_VALIDATE_MISSING or field.pre_load or field.post_load)
            entries.append((name, key, field, None if own_steps else And(*field.validators).__call__))
        self._load_plan = _Plan(tuple(entries), frozenset(name for name, *_ in entries))
        return self._load_plan


class _Plan:
    __slots__ = ("fields", "names")

    def __init__(self, entries: tuple[tuple[str, str, fields.Field, Callable[[Any], Any] | None], ...],
                 names: frozenset[str]) -> None:
        self.fields = entries
        self.names = names


def _load_field(field: fields.Field, validate: Callable[[Any], Any], value: Any, name: str, data: Mapping) -> Any:
    """marshmallow's Field.deserialize, with the field's validators combined once (`validate`)."""
    if value is missing:
        if field.required:
            raise field.make_error("required")
        default = field.load_default
        return default() if callable(default) else default
    if value is None:
        if not field.allow_none:
            raise field.make_error("null")
        return None
    output = field._deserialize(value, name, data)
    validate(output)
    return output
