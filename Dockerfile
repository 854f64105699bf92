# syntax=docker/dockerfile:1
# Keyhold: one image for every role (web, worker, beat, listener, migrate, manage); the first
# argument picks the role, see docker/entrypoint.sh. Only requirements.txt is installed: dev tools
# and the embedded dev servers never enter the image.

# ---- builder: wheels for exactly the production pins, installed into a venv ----------------------
# Every pin ships binary wheels for amd64 and arm64, so no compiler is installed here; a future pin
# that needs one fails this stage loudly (add build-essential here then, never to the runtime).
FROM python:3.12.14-slim-trixie AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /build
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-index --find-links /wheels -r requirements.txt

# ---- runtime ------------------------------------------------------------------------------------
FROM python:3.12.14-slim-trixie AS runtime

ARG KEYHOLD_VERSION=dev
LABEL org.opencontainers.image.title="Keyhold" \
      org.opencontainers.image.description="Self-hosted secrets vault and sensor-telemetry hub" \
      org.opencontainers.image.version="${KEYHOLD_VERSION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.12.14-slim-trixie"

# A fixed numeric uid/gid, so volume ownership and runAsNonRoot checks do not depend on names.
RUN groupadd --system --gid 10001 keyhold \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin keyhold

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    DJANGO_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    STATIC_ROOT=/app/staticfiles \
    KEYHOLD_VAR_DIR=/tmp/keyhold

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Code and static files stay root-owned: the app user can read them but never change them.
COPY . .

# Bytecode is compiled now because the running container's filesystem is read-only.
# The listener's spool directory is the mount point of its volume: created here, owned by the app
# user, so Docker gives a new volume that owner (the rest of /var/lib/keyhold stays root's).
# The manifest storage needs collectstatic at build time. Production settings refuse to load
# without these values, so throw-away ones are set for that command only: none is in the image.
RUN python -m compileall -q -j 0 /app \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/keyhold/spool \
 && SECRET_KEY=collectstatic-only-throwaway-value-never-used-at-runtime \
    VAULT_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    CELERY_BROKER_URL=redis://build.invalid:6379/1 \
    MONGODB_URL=mongodb://build.invalid:27017/build \
    python manage.py collectstatic --noinput

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "web"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
