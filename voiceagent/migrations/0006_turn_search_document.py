from django.db import migrations

# Transcript search reads a stored tsvector of each turn's text (PostgreSQL only): computed once
# when the turn is written, instead of on every search for each candidate row and again for its
# rank. The GIN index moves from the expression to the column. SQLite (embedded) scans instead.
SEARCH_CONFIG = "transcript_search"
DOCUMENT = f"to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE(text, ''))"


def store_search_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE voiceagent_conversationturn ADD COLUMN search_document tsvector "
            f"GENERATED ALWAYS AS ({DOCUMENT}) STORED"
        )
        cursor.execute(
            "CREATE INDEX turn_search_document_idx ON voiceagent_conversationturn "
            "USING gin (search_document)"
        )
        cursor.execute("DROP INDEX IF EXISTS turn_text_search_idx")


def compute_search_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX turn_text_search_idx ON voiceagent_conversationturn "
            f"USING gin ({DOCUMENT})"
        )
        cursor.execute("ALTER TABLE voiceagent_conversationturn DROP COLUMN search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("voiceagent", "0005_call_script_variant_lead_score"),
    ]

    operations = [
        migrations.RunPython(store_search_document, compute_search_document, elidable=False),
    ]
