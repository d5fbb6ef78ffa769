"""Transcript search: the turns of visible calls whose text holds every word of a query.

PostgreSQL: full-text search under the `transcript_search` configuration (the `simple` parser
and dictionary, plus unaccent where available; see migration 0004), over each turn's stored
`search_document` (a generated tsvector column with a GIN index, migration 0006, so no search
parses text); the most recently recorded matches (MAX_RANKED_MATCHES) are ranked by ts_rank,
then newest first. Words are matched whole and as written,
so Devanagari (बजट) and Hinglish (bol rahe) work as well as English; no stemming. Elsewhere
(SQLite, embedded mode) a plain scan for each word, newest first.

Snippets are built here, not by ts_headline: the text is HTML-escaped piece by piece and only
the matched words are wrapped in <mark>, so a transcript can never inject markup.
"""

import re
from html import escape

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import F, Value
from django.db.models.expressions import RawSQL

from voiceagent.models import Campaign, ConversationTurn

SEARCH_CONFIG = "transcript_search"
SNIPPET_WIDTH = 160
# Matches ranked per search: the most recently recorded ones. Ranking every match of a word that
# half the turns hold (millions at scale) costs seconds; these cost milliseconds whatever the size.
MAX_RANKED_MATCHES = 1000
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
        # The generated column, which the model does not declare (it exists on PostgreSQL only).
        quote = connection.ops.quote_name
        vector = RawSQL(
            f"{quote(ConversationTurn._meta.db_table)}.{quote('search_document')}",
            [],
            output_field=SearchVectorField(),
        )
        return turns.annotate(document=vector).filter(document=query), SearchRank(vector, query)
    for word in words:
        turns = turns.filter(text__icontains=word)
    return turns, None


def search_transcripts(*, campaigns, text, period=None, page=1, page_size=20):
    """{count, more, results} for `text` (at least one word) over the turns of `campaigns`.

    The MAX_RANKED_MATCHES most recently recorded matching turns are ranked (best match first,
    then newest); `count` is how many those are and `more` says whether older turns match too.
    """
    words = query_words(text)
    turns, rank = _matching(_turns(campaigns, period), text, words)
    # Newest first by primary key: the planner walks the key index backwards for a common word
    # and uses the text index for a rare one; either way at most MAX_RANKED_MATCHES + 1 rows,
    # and PostgreSQL ranks only those (the rank is evaluated after the LIMIT).
    candidates = (
        turns.annotate(rank=Value(0.0) if rank is None else rank)
        .order_by("-pk")
        .values_list("pk", "started_at", "rank")
    )
    ranked = list(candidates[: MAX_RANKED_MATCHES + 1])
    more = len(ranked) > MAX_RANKED_MATCHES
    del ranked[MAX_RANKED_MATCHES:]
    ranked.sort(key=lambda row: (row[2], row[1], row[0]), reverse=True)
    start = (page - 1) * page_size
    shown = [row[0] for row in ranked[start : start + page_size]]
    rows = ConversationTurn.objects.filter(pk__in=shown).values(
        "pk",
        "sequence",
        "speaker",
        "text",
        occurred_at=F("started_at"),
        call_sid=F("call__call_sid"),
        campaign_id=F("call__campaign_id"),
        lead_name=F("call__lead__name"),
    )
    by_pk = {row.pop("pk"): row for row in rows}
    results = []
    for pk in shown:
        row = by_pk[pk]
        row["snippet"] = snippet(row.pop("text"), words)
        results.append(row)
    return {
        "count": len(ranked),
        "more": more,
        "page": page,
        "page_size": page_size,
        "results": results,
    }


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
