"""/health/live and /health/ready: JSON for the load balancer, 503 saying what is missing."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text

from odr.db.engine import make_engine, make_session_factory
from odr.db.migrate import alembic_config, upgrade


def test_live_and_ready(client):
    live = client.get("/health/live")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "migrations": "current"}


def test_not_ready_when_migrations_are_not_current(tmp_path, make_app, open_client):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url)
    script = ScriptDirectory.from_config(alembic_config(url))
    previous = script.get_revision(script.get_current_head()).down_revision
    engine = make_engine(url)
    with engine.begin() as connection:  # as if the newest migration had not run yet
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    engine.dispose()
    client = open_client(make_app(database_url=url, var_dir=tmp_path))
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["migrations"] == "not current"
    assert "odr db upgrade" in response.json()["detail"]
    assert client.get("/health/live").status_code == 200  # alive, just not ready


def test_not_ready_when_the_database_is_unreachable(make_app, open_client):
    app = make_app()
    gone = make_engine("postgresql://postgres@127.0.0.1:1/odr")  # nothing listens on port 1
    app.state["session_factory"] = make_session_factory(gone)
    response = open_client(app).get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "detail": "the database does not answer",
    }


def test_health_and_metrics_are_not_in_the_api_schema(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert not {"/health/live", "/health/ready", "/metrics"} & set(paths)


def test_not_ready_when_the_configured_redis_is_unreachable(make_app, open_client):
    client = open_client(make_app(redis_url="redis://127.0.0.1:1/0"))  # nothing listens there
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["redis"] == "unreachable"
    assert response.json()["migrations"] == "current"
