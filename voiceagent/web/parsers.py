"""The API's JSON parser: bounded size, bounded depth, no control characters in any text.

DRF's own JSONParser reads the whole stream whatever its size (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE applies to request.body and forms only) and lets a deeply nested
document raise RecursionError (a 500). Ingestion has its own reader (voiceagent.ingestion.api).
"""

import codecs

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from voiceagent.json_codec import loads_strict
from voiceagent.web.text_safety import control_character_in


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"

    def __init__(self, limit):
        super().__init__(f"The JSON body is over {limit} bytes.")


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_JSON_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        data = parse_json(raw, encoding=encoding)
        found = control_character_in(data)
        if found:
            path, character = found
            raise ParseError(f"{path} contains a control character ({character}); remove it.")
        return data


def parse_json(raw, *, encoding="utf-8"):
    """The decoded document, or ParseError naming what is wrong with the bytes."""
    try:
        if codecs.lookup(encoding).name != "utf-8":
            raw = raw.decode(encoding)  # text: read by the standard library, as before
        return loads_strict(raw)
    except UnicodeDecodeError:
        raise ParseError(f"The body is not {encoding.upper()} text.") from None
    except RecursionError:
        raise ParseError("Malformed JSON: nested too deeply.") from None
    except ValueError as exc:
        raise ParseError(f"Malformed JSON: {exc}.") from None
