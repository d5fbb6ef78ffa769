"""Response documents serialised by plain conversions instead of DRF's per-field machinery.

DRF serialises a document by deep-copying its serializer's declared fields, binding them, then
asking each for its attribute and representation, for every object and every row of a list:
for an analytics answer (a period, a 30-day series, 168 hour slots) that costs more than the
query behind it. Here a serializer class is read once into one plain conversion per field,
giving exactly DRF's output for the fields whose representation depends on nothing but their
own options (DRF's own integer, float, decimal, char, boolean, choice, date, datetime and JSON
fields, and its list and dict fields of those: their to_representation is the conversion,
datetimes included; nested serializers and lists of them made of those; None stays None; a key
missing from the data is left out, null or an error as DRF decides). A field may read another
key of the data (`source="phone"`), and a field whose representation depends on the
serializer's context (a phone masked for the request's user) takes part by saying how it
converts a value in a context (`conversion_for(context)`, asked once per document). A
serializer with any other kind of field, one with its own to_representation or get_attribute
(a subclass's or a mixin's), or data that is not dicts, is serialised by DRF itself, so the
schema and the output never disagree.

- `PlainRepresentationMixin` on a serializer of dicts;
- `FlatRowsSerializer` as `Meta.list_serializer_class` of a serializer whose rows are dicts.

Conversions are worked out once per serializer class: use them only on serializers whose fields
do not vary by instance, nor by context but through `conversion_for`.
"""

from rest_framework import serializers
from rest_framework.fields import empty

SKIP, NULL, REQUIRED = "skip", "null", "required"  # what a missing key gives


class _NotPlain(Exception):
    """The data is not dicts: DRF serialises it."""


# DRF fields whose representation of a value depends on nothing but the field's own options:
# their own to_representation is the conversion (exact by construction). Subclasses may not be.
SELF_CONTAINED_FIELDS = (
    serializers.BooleanField,
    serializers.IntegerField,
    serializers.FloatField,
    serializers.DecimalField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,  # in the current time zone, read when it runs
    serializers.JSONField,
)
# DRF fields representing each item of a value by their child: self-contained with a child that is.
CONTAINER_FIELDS = (serializers.ListField, serializers.DictField)


class _InContext:
    """A conversion that depends on the serializer's context: `bind(context)` gives it."""

    def __init__(self, bind):
        self.bind = bind


def _bound(conversions, context):
    """`conversions` with those depending on the context given for `context`."""
    if not any(isinstance(convert, _InContext) for _, _, convert, _ in conversions):
        return conversions
    return [
        (name, key, convert.bind(context) if isinstance(convert, _InContext) else convert, missing)
        for name, key, convert, missing in conversions
    ]


def _list_of(conversions):
    def convert(rows):
        return [_convert(row, conversions) for row in rows]

    return convert


def _object_of(conversions):
    return lambda value: _convert(value, conversions)


def _nested(conversions, make):
    """`make(conversions)` (a list's or an object's conversion), bound to the context first
    when any of them depends on it."""
    if any(isinstance(convert, _InContext) for _, _, convert, _ in conversions):
        return _InContext(lambda context: make(_bound(conversions, context)))
    return make(conversions)


def _self_contained(field):
    if type(field) in CONTAINER_FIELDS:
        return _self_contained(field.child)
    return type(field) in SELF_CONTAINED_FIELDS


def _own_method(cls, name):
    """Whether a class of `cls`'s MRO other than DRF's bases and this module's defines `name`
    (a serializer's own to_representation or get_attribute: only DRF gives what it gives); a
    class saying how it treats a missing key (`leaves_out_missing_keys`) may read it its way."""
    return any(
        name in vars(klass)
        and klass not in _DRF_OWN
        and not (name == "get_attribute" and "leaves_out_missing_keys" in vars(klass))
        for klass in cls.__mro__
    )


def _plain(field):
    """One function turning a non-None value into the field's representation (an `_InContext`
    when it depends on the serializer's context), or None when this field's representation is
    not a plain conversion."""
    if field.write_only or len(field.source_attrs) != 1:
        return None
    if _own_method(type(field), "get_attribute"):
        return None
    if isinstance(field, serializers.ListSerializer):
        if _own_method(type(field), "to_representation"):
            return None
        child = conversions_of(field.child)
        return None if child is None else _nested(child, _list_of)
    if isinstance(field, serializers.Serializer):
        nested = conversions_of(field)
        return None if nested is None else _nested(nested, _object_of)
    if _self_contained(field):
        return field.to_representation
    if hasattr(field, "conversion_for"):
        return _InContext(field.conversion_for)
    return None


def _when_missing(field):
    """What DRF's Field.get_attribute gives for a key the dict lacks (None: it would read a
    default, which is not a plain conversion)."""
    if getattr(field, "leaves_out_missing_keys", False):
        return SKIP
    if field.default is not empty:
        return None
    if field.allow_null:
        return NULL
    return REQUIRED if field.required else SKIP


def conversions_of(serializer):
    """[(name, key read, conversion, when missing)] of the serializer's class, or None when any
    field needs DRF's representation."""
    serializer_class = type(serializer)
    if serializer_class not in _CONVERSIONS:
        _CONVERSIONS[serializer_class] = (
            None
            if _own_method(serializer_class, "to_representation")
            else _field_conversions(serializer)
        )
    return _CONVERSIONS[serializer_class]


def _field_conversions(serializer):
    conversions = []
    for name, field in serializer.fields.items():
        convert, missing = _plain(field), _when_missing(field)
        if convert is None or missing is None:
            return None
        conversions.append((name, field.source_attrs[0], convert, missing))
    return conversions


_CONVERSIONS = {}


def _convert(data, conversions):
    if not isinstance(data, dict):
        raise _NotPlain
    document = {}
    for name, key, convert, missing in conversions:
        if key in data:
            value = data[key]
            document[name] = None if value is None else convert(value)
        elif missing == NULL:
            document[name] = None
        elif missing == REQUIRED:
            raise _NotPlain  # DRF raises its own error, naming the key
    return document


class PlainRepresentationMixin:
    """A serializer of dicts represented by plain conversions; see the module docstring."""

    def to_representation(self, instance):
        conversions = conversions_of(self)
        if conversions is not None:
            try:
                return _convert(instance, _bound(conversions, self.context))
            except _NotPlain:
                pass
        return super().to_representation(instance)


class FlatRowsSerializer(serializers.ListSerializer):
    """Rows (dicts) by plain conversions; see the module docstring."""

    def to_representation(self, data):
        conversions = conversions_of(self.child)
        if conversions is not None and isinstance(data, list | tuple):
            conversions = _bound(conversions, self.context)
            try:
                return [_convert(row, conversions) for row in data]
            except _NotPlain:
                pass
        return super().to_representation(data)


# DRF's classes and this module's, whose to_representation and get_attribute give DRF's output.
_DRF_OWN = frozenset(
    {
        object,
        serializers.Field,
        serializers.BaseSerializer,
        serializers.Serializer,
        serializers.ListSerializer,
        PlainRepresentationMixin,
        FlatRowsSerializer,
    }
)
