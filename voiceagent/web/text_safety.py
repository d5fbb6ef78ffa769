"""What text the API refuses: control characters that no name, note or filter needs.

C0 controls (but tab, line feed and carriage return), DEL, C1 controls, and the bidirectional
embedding/override/isolate marks that make text display other than it reads ("Trojan Source").
PostgreSQL cannot store NUL at all; the others corrupt CSV/XLSX cells and admin pages.
"""

import re

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def first_control_character(text):
    """The first refused character of `text` as "U+001B" (say), or None."""
    match = CONTROL_CHARACTERS.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


def control_character_in(data):
    """(path, code point such as "U+001B") of the first refused character in a parsed JSON value, or None.

    Iterative: a deeply nested document must not exhaust the stack here either.
    """
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            found = first_control_character(value)
            if found:
                return path or "body", found
        elif isinstance(value, dict):
            for key, item in value.items():
                found = first_control_character(key)
                if found:
                    return f"{path}.{key}".lstrip("."), found
                stack.append((f"{path}.{key}".lstrip("."), item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None
