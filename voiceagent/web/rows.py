"""Series of flat rows (a day's counts, an hour slot) serialised without DRF's per-field calls.

DRF serialises a row by asking each field for its attribute and its representation: for the
30 to 168 rows of a daily or weekly series that machinery costs more than the query behind it.
`FlatRowsSerializer` is the list serializer of such a row serializer: it reads the row
serializer's own declared fields once, then turns each row (a dict) into its representation
with one plain function per field, giving exactly DRF's output for the field kinds it knows
(int, float, str, bool, date, datetime, and None for any). A row serializer with another kind of
field falls back to DRF's own representation, so the schema and the output never disagree.

Use it as `Meta.list_serializer_class` of a serializer whose rows are dicts.
"""

from datetime import date

from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


def _date_text(field):
    """ISO dates (DRF's default); another output format is DRF's to apply."""
    output_format = getattr(field, "format", api_settings.DATE_FORMAT)
    if isinstance(output_format, str) and output_format.lower() == ISO_8601:
        return date.isoformat
    return None


def _plain(field):
    """One function turning a non-None value into the field's representation, or None when
    this field's representation is not a plain conversion (DRF then does the row)."""
    if field.source != field.field_name or field.write_only:
        return None
    if isinstance(field, serializers.BooleanField):
        return bool
    if isinstance(field, serializers.IntegerField):
        return int
    if isinstance(field, serializers.FloatField):
        return float
    if isinstance(field, serializers.DateTimeField):
        return None  # time zone and format rules: DRF's own
    if isinstance(field, serializers.DateField):
        return _date_text(field)
    if type(field) is serializers.CharField:
        return str
    return None


class FlatRowsSerializer(serializers.ListSerializer):
    """Rows (dicts) of a flat serializer, each field by one conversion; see the module docstring."""

    def to_representation(self, data):
        conversions = self._conversions()
        if conversions is None:
            return super().to_representation(data)
        return [
            {
                name: None if (value := row[name]) is None else convert(value)
                for name, convert in conversions
            }
            for row in data
        ]

    def _conversions(self):
        """(name, conversion) of each field, or None when a field needs DRF's representation;
        worked out once per row serializer class (a flat row's fields do not vary by instance:
        DRF deep-copies them for every serializer it builds, which is what this path avoids)."""
        row_class = type(self.child)
        if row_class not in _CONVERSIONS:
            conversions = [(name, _plain(field)) for name, field in self.child.fields.items()]
            if any(convert is None for _, convert in conversions):
                conversions = None
            _CONVERSIONS[row_class] = conversions
        return _CONVERSIONS[row_class]


_CONVERSIONS = {}
