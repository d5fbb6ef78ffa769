"""OpenAPI (drf-spectacular) preprocessing for exports: each /exports/ route documented once.

Every route answers with and without a trailing slash (`slash_optional`); the schema lists the
form without the slash, so each operation appears once under a unique operationId.
"""


def drop_exports_slash_twins(endpoints, **kwargs):
    present = {(path, method) for path, _, method, _ in endpoints}
    return [
        (path, regex, method, callback)
        for path, regex, method, callback in endpoints
        if not (
            path.startswith("/exports/")
            and path.endswith("/")
            and (path.rstrip("/"), method) in present
        )
    ]
