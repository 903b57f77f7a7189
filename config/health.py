"""Probes for the orchestrator: `/healthz` (the process answers) and `/readyz` (it can serve requests).

Run as a script it is the containers' health check: `python -m config.health /readyz` asks the local
gunicorn with a Host header from ALLOWED_HOSTS and the proxy's HTTPS header, as the real proxy would;
`python -m config.health broker` (Celery beat) pings the broker.
"""
import logging
import os
import sys
import urllib.request

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 1  # seconds; a probe must answer well within the orchestrator's own timeout


@never_cache
@require_GET
def healthz(request):
    """Alive: answers without touching the database or the broker."""
    return JsonResponse({"status": "ok"})


def _check_database(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _check_migrations(alias):
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return {"ok": not plan, "unapplied": len(plan)}


def _check_broker(url):
    # One attempt: redis-py retries by default, which would multiply the timeout.
    client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT,
                                  retry=Retry(NoBackoff(), 0))
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def _run(name, check, *args):
    try:
        return check(*args)
    except Exception as error:  # a probe reports any failure instead of raising it
        logger.warning("readiness check %s failed: %r", name, error)
        return {"ok": False, "error": type(error).__name__}


@never_cache
@require_GET
def readyz(request):
    """Ready: the database answers and is fully migrated, and the broker answers when one is configured.

    200 with every check, or 503 naming the ones that failed. Error details go to the log, not the response.
    """
    checks = {"database": _run("database", _check_database, DEFAULT_DB_ALIAS)}
    if checks["database"]["ok"]:
        checks["migrations"] = _run("migrations", _check_migrations, DEFAULT_DB_ALIAS)
    else:
        checks["migrations"] = {"ok": False, "error": "database unavailable"}
    if settings.REDIS_URL:
        checks["broker"] = _run("broker", _check_broker, settings.REDIS_URL)
    failed = sorted(name for name, result in checks.items() if not result["ok"])
    body = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)


def probe(path="/readyz", port=None):
    """Ask the local web server for `path` as the reverse proxy would; True when it answers 200."""
    port = port or os.environ.get("PORT", "8000")
    hosts = [host.strip().lstrip(".") for host in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in hosts if h and h != "*"), "localhost")
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Host": host, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except OSError:  # refused, timed out, or an HTTP error status
        return False


def main(target):
    """Container health check: `/readyz` (or another path) asks the web server; `broker` pings REDIS_URL."""
    if target == "broker":
        try:
            return _check_broker(os.environ["REDIS_URL"])["ok"]
        except Exception:
            return False
    return probe(target)


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1] if len(sys.argv) > 1 else "/readyz") else 1)
