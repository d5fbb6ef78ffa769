"""Transcript search: the turns of visible calls whose text holds every word of a query.

PostgreSQL: full-text search under the `transcript_search` configuration (the `simple` parser
and dictionary, plus unaccent where available; see migration 0003), served by a GIN index on
the turns' text, ranked by ts_rank then newest first. Words are matched whole and as written,
so Devanagari (बजट) and Hinglish (bol rahe) work as well as English; no stemming. Elsewhere
(SQLite, embedded mode) a plain scan for each word, newest first.

Snippets are built here, not by ts_headline: the text is HTML-escaped piece by piece and only
the matched words are wrapped in <mark>, so a transcript can never inject markup.
"""

import re
from html import escape

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F

from voiceagent.models import Campaign, ConversationTurn

SEARCH_CONFIG = "transcript_search"
SNIPPET_WIDTH = 160
# A word: letters, digits and the Devanagari block (its vowel signs are marks, not letters).
WORD = r"[\w\u0900-\u097f]"
MAX_QUERY_LENGTH = 200


def query_words(text):
    """The words of a query, lower-cased, in order, without repeats."""
    words = []
    for word in re.findall(f"{WORD}+", text.lower()):
        if word not in words:
            words.append(word)
    return words


def _turns(campaigns, period):
    turns = ConversationTurn.objects.all()
    if isinstance(campaigns, Campaign):
        turns = turns.filter(call__campaign=campaigns)
    elif campaigns.query.where or campaigns.query.is_sliced:
        turns = turns.filter(call__campaign__in=campaigns)
    # else: every campaign (staff), no filter, so the planner goes straight to the text index
    if period is not None:
        turns = turns.filter(**period.filter_kwargs("call__initiated_at"))
    return turns


def _matching(turns, text, words):
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="plain")
        vector = SearchVector("text", config=SEARCH_CONFIG)
        return turns.annotate(document=vector).filter(document=query), SearchRank(vector, query)
    for word in words:
        turns = turns.filter(text__icontains=word)
    return turns, None


def search_transcripts(*, campaigns, text, period=None, page=1, page_size=20):
    """{count, results} for `text` (at least one word) over the turns of `campaigns`."""
    words = query_words(text)
    turns, rank = _matching(_turns(campaigns, period), text, words)
    count = turns.count()
    ordering = [F("started_at").desc(), F("pk").desc()]
    if rank is not None:
        turns = turns.annotate(rank=rank)
        ordering.insert(0, F("rank").desc())
    start = (page - 1) * page_size
    rows = turns.order_by(*ordering).values(
        "sequence",
        "speaker",
        "text",
        occurred_at=F("started_at"),
        call_sid=F("call__call_sid"),
        campaign_id=F("call__campaign_id"),
        lead_name=F("call__lead__name"),
    )[start : start + page_size]
    results = []
    for row in rows:
        row["snippet"] = snippet(row.pop("text"), words)
        results.append(row)
    return {"count": count, "page": page, "page_size": page_size, "results": results}


def snippet(text, words, width=SNIPPET_WIDTH):
    """Up to `width` characters of `text` around its first matched word, HTML-escaped, each
    matched word wrapped in <mark>; "…" where text was cut."""
    if not words:
        return escape(text[:width])
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    pattern = re.compile(f"(?<!{WORD})({alternatives})(?!{WORD})", re.IGNORECASE)
    first = pattern.search(text)
    start = 0
    if first and first.start() > width // 3:
        start = first.start() - width // 3
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space > start - 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > end - 20 else end
    window = text[start:end]
    pieces, position = [], 0
    for match in pattern.finditer(window):
        pieces.append(escape(window[position : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    pieces.append(escape(window[position:]))
    return ("…" if start else "") + "".join(pieces) + ("…" if end < len(text) else "")
