"""Property-based tests over the service's own OpenAPI document (schemathesis): whatever it sends, the API
never answers with a server error (5xx), with or without a valid token."""
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

TOKEN = "schema-token-0123456789abcdef"


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    from cinealert.service.app import create_app
    app = create_app(tmp_path_factory.mktemp("svc"), tokens=[TOKEN.encode()], start_worker=False,
                     rate=10_000, burst=10_000)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema):
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/alerts", "/v1/jobs/{job_id}", "/healthz", "/metrics"}
    seen = []
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case):
            for headers in ({"Authorization": f"Bearer {TOKEN}"}, {}):
                response = case.call(headers=headers)
                seen.append(response.status_code)
                assert response.status_code < 500, (case.method, case.path, response.status_code,
                                                    response.text[:300])
        check()
    assert len(seen) >= 2 * len(operations) and max(seen) < 500
