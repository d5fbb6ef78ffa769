"""OpenAPI generation hooks (drf-spectacular): one documented path per route."""


def drop_trailing_slash_twins(endpoints, **kwargs):
    """Every route answers with and without a trailing slash (`slash_optional`); document the
    form without the slash only, so that each operation appears once with a unique id."""
    present = {(path, method) for path, _, method, _ in endpoints}
    return [
        (path, regex, method, callback)
        for path, regex, method, callback in endpoints
        if not (path.endswith("/") and path != "/" and (path.rstrip("/"), method) in present)
    ]
