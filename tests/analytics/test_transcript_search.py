"""GET /analytics/transcripts/search: English, Devanagari and Hinglish words, ranking, escaped
snippets, visibility, filters; and the stored document's GIN index serving the query on
PostgreSQL."""

import pytest
from django.db import connection

from analytics.search import snippet
from tests import factories
from tests.analytics.conftest import ist

URL = "/analytics/transcripts/search"
pytestmark = pytest.mark.django_db


def spoken(campaign, name, started, *lines):
    call = factories.make_call(factories.make_lead(campaign, name), initiated_at=started)
    for sequence, (speaker, text) in enumerate(lines, start=1):
        factories.make_turn(call, sequence, speaker=speaker, text=text)
    return call


@pytest.fixture
def transcripts(team):
    asha = spoken(
        team.campaign,
        "Asha",
        ist(2025, 3, 3, 10),
        ("agent", "Which locality are you looking at?"),
        ("lead", "Something in Baner, near the highway."),
    )
    ravi = spoken(
        team.campaign,
        "Ravi",
        ist(2025, 3, 4, 10),
        ("lead", "मेरा बजट 80 लाख है, Baner या Aundh में."),
        ("lead", "Haan ji, bol rahe hain."),
    )
    spoken(
        team.other_campaign,
        "Other team",
        ist(2025, 3, 4, 11),
        ("lead", "Baner is where we want to buy, बजट is fine."),
    )
    return asha, ravi


def test_english_word_finds_every_visible_turn_newest_first(transcripts, get_json):
    asha, ravi = transcripts
    body = get_json(f"{URL}?q=baner")
    assert body["count"] == 2
    assert [(hit["call_sid"], hit["lead_name"], hit["speaker"]) for hit in body["results"]] == [
        (ravi.call_sid, "Ravi", "lead"),
        (asha.call_sid, "Asha", "lead"),
    ]
    assert body["results"][1]["snippet"] == "Something in <mark>Baner</mark>, near the highway."
    assert body["results"][1]["sequence"] == 2
    assert body["results"][1]["campaign_id"] == asha.campaign_id


def test_devanagari_word_is_found_whole(transcripts, get_json):
    _, ravi = transcripts
    body = get_json(f"{URL}?q=बजट")
    assert body["count"] == 1
    hit = body["results"][0]
    assert hit["call_sid"] == ravi.call_sid
    assert hit["snippet"] == "मेरा <mark>बजट</mark> 80 लाख है, Baner या Aundh में."


def test_hinglish_words_must_all_match(transcripts, get_json):
    assert get_json(f"{URL}?q=bol+rahe")["count"] == 1
    assert get_json(f"{URL}?q=bol+nahi")["count"] == 0


def test_another_teams_transcript_is_never_found(transcripts, team, get_json, api_client):
    assert get_json(f"{URL}?q=buy")["count"] == 0
    outsider = get_json(f"{URL}?q=baner", client=api_client(team.outsider))
    assert [hit["lead_name"] for hit in outsider["results"]] == ["Other team"]
    denied = api_client(team.outsider).get(f"{URL}?q=baner&campaign_id={team.campaign.pk}")
    assert denied.status_code == 404


def test_script_in_a_transcript_is_escaped_in_the_snippet(team, get_json):
    spoken(
        team.campaign,
        "Mallory",
        ist(2025, 3, 5, 10),
        ("lead", '<script>alert("x")</script> budget & <b>Baner</b>'),
    )
    body = get_json(f"{URL}?q=budget")
    assert body["results"][0]["snippet"] == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>budget</mark> &amp; "
        "&lt;b&gt;Baner&lt;/b&gt;"
    )


def test_period_filter_and_pages(transcripts, get_json):
    assert get_json(f"{URL}?q=baner&from=2025-03-03&to=2025-03-03")["count"] == 1
    second = get_json(f"{URL}?q=baner&page=2&page_size=1")
    assert [hit["lead_name"] for hit in second["results"]] == ["Asha"]


def test_only_the_most_recently_recorded_matches_are_ranked(team, get_json, monkeypatch):
    monkeypatch.setattr("analytics.search.MAX_RANKED_MATCHES", 2)
    # Recorded in this order; the first is the newest call but the oldest row.
    spoken(team.campaign, "First recorded", ist(2025, 3, 9, 10), ("lead", "Baner"))
    spoken(team.campaign, "Second", ist(2025, 3, 1, 10), ("lead", "Baner Baner flat"))
    spoken(team.campaign, "Third", ist(2025, 3, 2, 10), ("lead", "Baner"))
    body = get_json(f"{URL}?q=baner")
    assert (body["count"], body["more"]) == (2, True)
    assert [hit["lead_name"] for hit in body["results"]] == ["Second", "Third"]
    narrowed = get_json(f"{URL}?q=baner&from=2025-03-09&to=2025-03-09")
    assert (narrowed["count"], narrowed["more"]) == (1, False)
    assert [hit["lead_name"] for hit in narrowed["results"]] == ["First recorded"]


@pytest.mark.parametrize("query", ["", "q=", "q=%21%3F", "q=" + "a" * 201])
def test_a_query_without_words_is_a_400(team, member_client, query):
    response = member_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert "q" in response.json()["detail"]


def test_snippet_cuts_long_text_around_the_first_match():
    text = "word " * 60 + "Baner flat " + "tail " * 60
    cut = snippet(text, ["baner"], width=60)
    assert cut.startswith("…") and cut.endswith("…")
    assert "<mark>Baner</mark> flat" in cut
    assert len(cut) < 80


def test_query_count_is_fixed(transcripts, member_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert member_client.get(f"{URL}?q=baner").status_code == 200


def test_postgresql_serves_the_search_from_the_stored_document_index(transcripts):
    from analytics.search import _matching, _turns
    from voiceagent.models import Campaign

    turns, _ = _matching(_turns(Campaign.objects.all(), None), "baner", ["baner"])
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = turns.values("pk").explain()
        cursor.execute("SET enable_seqscan = on")
    assert "turn_search_document_idx" in plan
    assert "to_tsvector" not in plan  # the stored document, not the text parsed per search


def test_a_turn_whose_text_changes_is_found_by_its_new_words_only(transcripts, get_json):
    asha, _ = transcripts
    turn = asha.turns.get(sequence=2)
    turn.text = "Something in Wakad, near the highway."
    turn.save(update_fields=["text"])

    assert [hit["call_sid"] for hit in get_json(f"{URL}?q=wakad")["results"]] == [asha.call_sid]
    assert asha.call_sid not in [hit["call_sid"] for hit in get_json(f"{URL}?q=baner")["results"]]


@pytest.mark.parametrize("slash", ["", "/"])
def test_search_answers_with_and_without_trailing_slash(transcripts, member_client, slash):
    response = member_client.get(f"{URL}{slash}?q=baner")
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_search_is_in_the_openapi_schema_with_an_example(member_client):
    schema = member_client.get("/api/schema?format=json").json()
    operation = schema["paths"]["/analytics/transcripts/search"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {
        "q",
        "campaign_id",
        "from",
        "to",
    }
