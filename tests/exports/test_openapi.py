"""The OpenAPI schema describes the exports endpoints with their real responses."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def paths(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)["paths"]


def test_campaign_export_documents_both_files_and_the_job(paths):
    responses = paths["/exports/campaigns/{campaign_id}/{kind}"]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"text/csv", XLSX}
    assert responses["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ExportJob"
    }
    assert {"400", "404"} <= set(responses)


def test_job_endpoints_are_described_with_the_job_serializer(paths):
    assert set(paths["/exports/jobs"]) == {"get", "post"}
    detail = paths["/exports/jobs/{job_id}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ExportJob"
    }
    download = paths["/exports/jobs/{job_id}/download"]["get"]["responses"]
    assert set(download["200"]["content"]) == {"text/csv", XLSX}
    assert {"404", "409", "410"} <= set(download)
