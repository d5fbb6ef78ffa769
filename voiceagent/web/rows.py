"""Response documents serialised by plain conversions instead of DRF's per-field machinery.

DRF serialises a document by deep-copying its serializer's declared fields, binding them, then
asking each for its attribute and representation, for every object and every row of a list:
for an analytics answer (a period, a 30-day series, 168 hour slots) that costs more than the
query behind it. Here a serializer class is read once into one plain conversion per field,
giving exactly DRF's output for the fields whose representation depends on nothing but their
own options (DRF's own integer, float, char, boolean, choice, date and datetime fields: their
to_representation is the conversion, datetimes included; nested serializers and lists of them made of those; None
stays None; a key missing from the data is left out, null or an error as DRF decides). A serializer with any
other kind of field, one with its own to_representation or get_attribute (a subclass's or a
mixin's), or data that is not dicts, is serialised by DRF itself, so the schema and the output
never disagree.

- `PlainRepresentationMixin` on a serializer of dicts;
- `FlatRowsSerializer` as `Meta.list_serializer_class` of a serializer whose rows are dicts.

Conversions are worked out once per serializer class: use them only on serializers whose fields
do not vary by instance or context.
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
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,  # in the current time zone, read when it runs
)


def _list_of(conversions):
    def convert(rows):
        return [_convert(row, conversions) for row in rows]

    return convert


def _object_of(conversions):
    return lambda value: _convert(value, conversions)


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
    """One function turning a non-None value into the field's representation, or None when
    this field's representation is not a plain conversion."""
    if field.write_only or field.source != field.field_name:
        return None
    if _own_method(type(field), "get_attribute"):
        return None
    if isinstance(field, serializers.ListSerializer):
        if _own_method(type(field), "to_representation"):
            return None
        child = conversions_of(field.child)
        return None if child is None else _list_of(child)
    if isinstance(field, serializers.Serializer):
        nested = conversions_of(field)
        return None if nested is None else _object_of(nested)
    if type(field) in SELF_CONTAINED_FIELDS:
        return field.to_representation
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
    """[(name, conversion, when missing)] of the serializer's class, or None when any field
    needs DRF's representation."""
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
        conversions.append((name, convert, missing))
    return conversions


_CONVERSIONS = {}


def _convert(data, conversions):
    if not isinstance(data, dict):
        raise _NotPlain
    document = {}
    for name, convert, missing in conversions:
        if name in data:
            value = data[name]
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
                return _convert(instance, conversions)
            except _NotPlain:
                pass
        return super().to_representation(instance)


class FlatRowsSerializer(serializers.ListSerializer):
    """Rows (dicts) by plain conversions; see the module docstring."""

    def to_representation(self, data):
        conversions = conversions_of(self.child)
        if conversions is not None and isinstance(data, list | tuple):
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
