"""drf-spectacular hooks: describe each slash-optional route once in the OpenAPI schema."""


def drop_trailing_slash_twins(endpoints, **kwargs):
    """urltools.slash_optional serves `x` and `x/` with one view; document only `x`.

    Without this every such route appears twice, with colliding operationIds (a system-check
    warning that `check --deploy --fail-level WARNING` turns into a failure).
    """
    paths = {(path, method) for path, _, method, _ in endpoints}
    return [
        (path, regex, method, view)
        for path, regex, method, view in endpoints
        if not (path.endswith("/") and path != "/" and (path.rstrip("/"), method) in paths)
    ]
