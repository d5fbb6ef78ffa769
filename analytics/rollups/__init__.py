"""Exact, incrementally maintained rollups (Zulip's analytics/lib/counts.py is the model): what a
call contributes (contribution), how contributions move the tables (writer), histograms for
percentiles (histogram), keeping them right on ORM saves (tracking) and rebuilding or verifying
them from raw rows (rebuild), set-based on PostgreSQL (recount), and the per-campaign locks that
keep writers and a rebuild of the same campaign apart (locks)."""
