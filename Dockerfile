# The bot, its locked dependencies, nothing else. Build: `docker build -t sisyphus .`
# Few steps on purpose: podman on vfs storage (CI's deploy/image-test.sh) copies the whole image
# for each one, cached or not (10-20 s each on 2 busy cores).
FROM python:3.11-slim

# The locked dependencies in a layer of their own, before the code: a code change reuses it.
# --require-hashes: every package exactly as locked, or the build fails.
COPY requirements.lock /tmp/requirements.lock
RUN useradd --no-log-init --create-home --uid 10001 --user-group sisyphus \
    && mkdir /data && chown sisyphus:sisyphus /data \
    && python -m venv /opt/venv \
    && PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 /opt/venv/bin/pip install --quiet \
       --no-deps --require-hashes -r /tmp/requirements.lock \
    && rm /tmp/requirements.lock

# The code runs from /app as copied (owned by root, read-only to the bot). It is not
# pip-installed: no second copy in site-packages, no build/ or *.egg-info. .dockerignore lets
# only bot/, handlers/, storage/ and requirements.lock into the build context.
COPY . /app

ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/incidents.db PORT=3000
WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os,urllib.request,sys; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3000\")}/healthz', timeout=4); sys.exit(0)" || exit 1
CMD ["python", "-m", "bot"]
