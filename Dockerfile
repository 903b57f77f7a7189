# One image for the web (gunicorn), worker and beat (Celery) services of docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

# gettext compiles the translations at build time; pango, harfbuzz-subset and the DejaVu fonts are WeasyPrint's
# (the PDF certificates and agreements). `manage.py backup`/`restore` run pg_dump/pg_restore, which must be at
# least as new as the server (postgres:16 in docker-compose.yml): PostgreSQL's own apt repository has version 16
# for bookworm (Debian's own is 15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core postgresql-common ca-certificates \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends postgresql-client-16 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. The project itself is not an
# installable package (pyproject lists no packages): `pip install .` installs its dependencies only.
# Build with `--build-arg EXTRAS=sentry` to include the optional sentry-sdk.
ARG EXTRAS=""
COPY pyproject.toml ./
RUN pip install ".${EXTRAS:+[$EXTRAS]}"

COPY . .

# Static files are collected into the image and served by WhiteNoise; settings need a key to load,
# this one exists only during the build.
RUN DEBUG=false SECRET_KEY=build-only-key-never-used-at-run-time-0123456789abcdefghij ALLOWED_HOSTS=localhost \
        sh -c 'if [ -d locale ]; then python manage.py compilemessages; fi && python manage.py collectstatic --noinput' \
    && useradd --system --create-home --uid 10001 app \
    && mkdir -p /backups && chown app /backups

USER app
EXPOSE 8000

# docker-compose.yml runs the same image as worker and beat with other commands.
CMD ["sh", "-c", "exec gunicorn config.wsgi --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --access-logfile - --forwarded-allow-ips='*'"]
