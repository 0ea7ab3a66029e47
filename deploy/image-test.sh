#!/usr/bin/env bash
# Build the Dockerfile with podman and run the image the way production does, then check it:
# /healthz answers, it runs as uid 10001 from /app (no second copy, no build/ or *.egg-info),
# its SQLite database is in the /data volume, `podman healthcheck run` says healthy, it answers a
# signed Slack request, and `podman stop` ends it with exit code 0. Then two replicas on one
# PostgreSQL database (127.0.0.1:5432, user postgres, as .ci/run sets up), started together so
# their migrations meet on the advisory lock: both become healthy with no error logged, and both
# stop with exit code 0.
#
# No Docker engine and no Docker Hub here, so (issue 15): Debian's podman with vfs storage,
# cgroupfs, runc (crun refuses hybrid cgroups), chroot isolation, and a stand-in for
# python:3.11-slim built with mmdebstrap and imported under that exact name, so the Dockerfile
# builds unchanged. Installs podman, buildah, mmdebstrap, runc and uidmap from Debian when they
# are missing; skips, saying why, only where they cannot be installed.
# Time on 2 cores: cold (stand-in, then every layer) 2.5 minutes on a quiet machine, 6 with other
# work beside it; warm 2-3.5 minutes. vfs copies the whole image into a working container for
# every Dockerfile step, cached or not, and deletes those copies at the end: a fully cached build
# printed its last step after 35 s and returned after 120 s. (Deleting them in the background
# instead only made `podman run` wait for the store's lock.)
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=docker.io/library/python:3.11-slim
IMAGE=${IMAGE_TEST_TAG:-localhost/sisyphus:image-test}
NAME=sisyphus-image-test-$$
SLACK_BOT_TOKEN=xoxb-image-test
SIGNING_SECRET=image-test-signing-secret
PACKAGES=(podman buildah mmdebstrap runc uidmap)

step() { printf '[image-test %4ss] %s\n' "$SECONDS" "$*"; }
fail() { echo "image-test FAILED: $*" >&2; exit 1; }
skip() { echo "image-test SKIPPED: $*"; exit 0; }
# A store of its own: cleaning it up never touches anyone else's containers or images, and it
# keeps the stand-in and the layer cache from one run to the next.
STORE=${IMAGE_TEST_STORE:-/var/lib/sisyphus-image-test}
podman() {
  command podman --root "$STORE/storage" --runroot "$STORE/run" --storage-driver vfs \
    --cgroup-manager cgroupfs --events-backend file --runtime runc "$@"
}
missing() {
  local tool
  for tool in podman buildah mmdebstrap runc newuidmap; do
    type -P "$tool" >/dev/null || echo "$tool"  # type -P: not the podman function below
  done
}

# --- podman and friends ------------------------------------------------------------------------
if [ -n "$(missing)" ]; then
  absent=$(missing | tr '\n' ' ')
  command -v apt-get >/dev/null 2>&1 \
    || skip "podman cannot be installed here: ${absent}missing and no apt-get (Debian) to install them"
  [ "$(id -u)" = 0 ] \
    || skip "podman cannot be installed here: ${absent}missing and apt-get needs root"
  step "installing ${PACKAGES[*]} from Debian (${absent}missing)"
  apt-get update -qq || skip "podman cannot be installed here: apt-get update failed"
  for pkg in "${PACKAGES[@]}"; do
    candidate=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
    [ -n "$candidate" ] && [ "$candidate" != "(none)" ] \
      || skip "podman cannot be installed here: Debian's archive offers no $pkg"
  done
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" \
    >/dev/null
  [ -z "$(missing)" ] || fail "installed ${PACKAGES[*]} but still missing: $(missing | tr '\n' ' ')"
fi
step "$(command podman --version), $(runc --version | head -n 1)"

work=$(mktemp -d)
volume=$NAME-data
fake_pid=
pgdb=
cleanup() {
  set +e
  podman rm --force --time 0 "$NAME" "$NAME-pg1" "$NAME-pg2" >/dev/null 2>&1
  [ -n "$pgdb" ] && psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE $pgdb" >/dev/null 2>&1
  podman volume rm --force "$volume" >/dev/null 2>&1
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Working containers left by an interrupted build would hold copies of the image (vfs); drop them.
command buildah --root "$STORE/storage" --runroot "$STORE/run" --storage-driver vfs rm --all \
  >/dev/null 2>&1 || true

# --- the python:3.11-slim stand-in ------------------------------------------------------------
if ! podman image exists "$BASE"; then
  step "building a stand-in for $BASE with mmdebstrap (bookworm)"
  mirror=http://deb.debian.org/debian
  [ -f /etc/apt/sources.list.d/debian.sources ] && mirror=/etc/apt/sources.list.d/debian.sources
  # Like Debian's -slim images: no documentation, manual pages or translations.
  mmdebstrap --quiet --variant=minbase \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
    --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$work/base.tar" "$mirror"
  podman import --quiet --change 'CMD ["python3"]' "$work/base.tar" "$BASE" >/dev/null
  rm -f "$work/base.tar"
fi

# --- build ---------------------------------------------------------------------------------------
# Where the host re-signs TLS, pip inside the build needs the host's CA bundle.
ca=()
[ -f /etc/ssl/certs/ca-certificates.crt ] \
  && ca=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
step "building $IMAGE from the Dockerfile"
build_started=$SECONDS
podman build --format docker --isolation chroot --pull=never "${ca[@]}" -t "$IMAGE" . \
  >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "the image did not build"; }
steps=$(grep -c '^STEP ' "$work/build.log" || true)
cached=$(grep -c '^--> Using cache' "$work/build.log" || true)
step "built in $((SECONDS - build_started)) s ($cached of $steps steps from the cache)"
# Earlier builds of the tag are left dangling; vfs keeps a full copy per layer, so drop them.
podman image prune --force >/dev/null

# --- a fake Slack Web API on localhost ------------------------------------------------------------
cat >"$work/fake_slack.py" <<'PY'
"""Answers auth.test like Slack; any other method unknown_method. Records each call."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

token, calls_path, port_path = sys.argv[1:4]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        method = self.path.rsplit("/", 1)[-1]
        authorized = self.headers.get("Authorization") == f"Bearer {token}"
        with open(calls_path, "a") as calls:
            calls.write(f"{method} {'authorized' if authorized else 'unauthorized'}\n")
        if method == "auth.test" and authorized:
            body = {"ok": True, "url": "https://image-test.slack.com/", "team": "Image test",
                    "user": "sisyphus", "team_id": "T0IMAGE", "user_id": "U0IMAGE",
                    "bot_id": "B0IMAGE"}
        else:
            body = {"ok": False, "error": "unknown_method" if authorized else "invalid_auth"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_path + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402

os.replace(port_path + ".tmp", port_path)
server.serve_forever()
PY
python3 "$work/fake_slack.py" "$SLACK_BOT_TOKEN" "$work/calls" "$work/slack_port" &
fake_pid=$!
for _ in $(seq 1 50); do [ -s "$work/slack_port" ] && break; sleep 0.1; done
[ -s "$work/slack_port" ] || fail "the fake Slack Web API did not start"
slack_port=$(cat "$work/slack_port")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# --- run -----------------------------------------------------------------------------------------
step "running it on port $port (host network), Slack at 127.0.0.1:$slack_port"
podman volume create "$volume" >/dev/null
# --read-only: a read-only root, as deploy/kubernetes runs it (podman adds a tmpfs /tmp).
# podman's stderr goes to a file: without systemd it complains about healthcheck timers.
podman run --detach --name "$NAME" --network host \
  --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --read-only \
  -e SLACK_BOT_TOKEN="$SLACK_BOT_TOKEN" -e SLACK_SIGNING_SECRET="$SIGNING_SECRET" \
  -e SLACK_API_URL="http://127.0.0.1:$slack_port/api/" -e PORT="$port" \
  -v "$volume:/data" "$IMAGE" >/dev/null 2>"$work/run.err" \
  || { cat "$work/run.err" >&2; fail "podman run failed"; }
run_started=$SECONDS

show_logs() { echo "--- logs of ${1:-$NAME} ---" >&2; podman logs "${1:-$NAME}" >&2 || true; }
healthz() {  # port: prints the status /healthz gives, fails unless it answers 200
  python3 - "$1" <<'PY'
import json, sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=3) as r:
        print(json.load(r)["status"])
except Exception as exc:
    print(type(exc).__name__)
    sys.exit(1)
PY
}
wait_healthy() {  # container port: until /healthz says ok, failing if the container ends first
  local state
  for _ in $(seq 1 120); do
    [ "$(healthz "$2" 2>/dev/null)" = ok ] && return 0
    state=$(podman inspect --format '{{.State.Status}}' "$1")
    [ "$state" = running ] || { show_logs "$1"; fail "$1 is $state before /healthz said ok"; }
    sleep 0.5
  done
  show_logs "$1"
  fail "$1: /healthz did not say ok within 60 s"
}
wait_healthy "$NAME" "$port"
step "/healthz answers ok, $((SECONDS - run_started)) s after start"

# Start-up asked the fake Slack who the bot is, with the bot token.
grep -qx "auth.test authorized" "$work/calls" \
  || { show_logs; fail "the bot did not call auth.test on SLACK_API_URL with its token"; }

# A signed Slack request (url_verification) is answered: the app serves /slack/events.
python3 - "$port" "$SIGNING_SECRET" <<'PY' || { show_logs; fail "a signed Slack request failed"; }
import hashlib, hmac, json, sys, time, urllib.request
port, secret = sys.argv[1], sys.argv[2].encode()
body = json.dumps({"type": "url_verification", "token": "t", "challenge": "image-test-42"})
ts = str(int(time.time()))
sig = "v0=" + hmac.new(secret, f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(
    f"http://127.0.0.1:{port}/slack/events", data=body.encode(), method="POST",
    headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
             "X-Slack-Signature": sig})
with urllib.request.urlopen(req, timeout=5) as r:
    answer = r.read().decode()
assert "image-test-42" in answer, answer
PY

# Non-root, code from /app only, nothing left over from a build.
uid=$(podman exec "$NAME" id -u)
[ "$uid" = 10001 ] || fail "the bot runs as uid $uid, not 10001"
bot_uid=$(podman top "$NAME" huser | tail -n +2 | sort -u)
[ "$bot_uid" = 10001 ] || fail "processes in the container run as '$bot_uid', not 10001"
podman exec -i "$NAME" python - <<'PY' || fail "the image's layout is wrong (see above)"
import importlib.metadata, pathlib, sys
import bot, storage
assert bot.__file__ == "/app/bot/__init__.py", bot.__file__
assert storage.__file__ == "/app/storage/__init__.py", storage.__file__
names = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
assert "sisyphus" not in names, "the project is also installed in site-packages"
left = [str(p) for p in pathlib.Path("/app").rglob("*")
        if p.name == "build" or p.name.endswith(".egg-info")]
assert not left, f"left in /app: {left}"
assert sys.prefix == "/opt/venv", sys.prefix
PY

# The database is in the /data volume, written by uid 10001.
mountpoint=$(podman volume inspect --format '{{.Mountpoint}}' "$volume")
[ -f "$mountpoint/incidents.db" ] || fail "no incidents.db in the /data volume ($mountpoint)"
owner=$(stat -c %u "$mountpoint/incidents.db")
[ "$owner" = 10001 ] || fail "incidents.db in /data is owned by uid $owner, not 10001"
step "runs as uid 10001 from /app; incidents.db in the /data volume"

# The image's own HEALTHCHECK.
health=$(podman healthcheck run "$NAME" 2>"$work/health.err") || { cat "$work/health.err" >&2; show_logs; fail "podman healthcheck run: $health"; }
step "podman healthcheck run: ${health:-healthy (exit 0)}"
[ -z "$health" ] || [ "$health" = healthy ] || fail "podman healthcheck run said: $health"

# SIGTERM drains and exits 0 (not killed after the 10 s stop timeout: that would be 137).
stop_started=$SECONDS
podman stop "$NAME" >/dev/null 2>"$work/stop.err" \
  || { cat "$work/stop.err" >&2; show_logs; fail "podman stop exited non-zero"; }
code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
[ "$code" = 0 ] || { show_logs; fail "the bot exited $code on SIGTERM, not 0"; }
podman logs "$NAME" 2>&1 | grep -q "stopping: finishing work in flight" \
  || { show_logs; fail "the bot did not log its graceful stop"; }
if podman logs "$NAME" 2>&1 | grep -q "Traceback"; then show_logs; fail "a traceback in the logs"; fi
step "podman stop: exit code 0 after $((SECONDS - stop_started)) s"

# --- two replicas on one PostgreSQL, as docker-compose.yml and deploy/kubernetes run it ----------
# Started together, they migrate one after the other under the advisory lock; both serve.
if type -P pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; then
  pgdb=sisyphus_image_test_$$
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $pgdb" >/dev/null
  replicas=()
  for i in 1 2; do
    replica=$NAME-pg$i
    replicas+=("$replica")
    rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    podman run --detach --name "$replica" --network host \
      --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --read-only \
      -e SLACK_BOT_TOKEN="$SLACK_BOT_TOKEN" -e SLACK_SIGNING_SECRET="$SIGNING_SECRET" \
      -e SLACK_API_URL="http://127.0.0.1:$slack_port/api/" -e PORT="$rport" \
      -e DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/$pgdb" \
      "$IMAGE" >/dev/null 2>"$work/run.err" \
      || { cat "$work/run.err" >&2; fail "podman run ($replica) failed"; }
    eval "port_$i=$rport"
  done
  wait_healthy "${replicas[0]}" "$port_1"
  wait_healthy "${replicas[1]}" "$port_2"
  versions=$(psql -h 127.0.0.1 -U postgres -d "$pgdb" -Atc "SELECT version_num FROM alembic_version")
  [ "$(echo "$versions" | wc -l)" = 1 ] && [ -n "$versions" ] \
    || fail "alembic_version after two replicas started: '$versions'"
  podman stop "${replicas[@]}" >/dev/null 2>"$work/stop.err" \
    || { cat "$work/stop.err" >&2; fail "podman stop (PostgreSQL replicas) exited non-zero"; }
  for replica in "${replicas[@]}"; do
    code=$(podman inspect --format '{{.State.ExitCode}}' "$replica")
    [ "$code" = 0 ] || { show_logs "$replica"; fail "$replica exited $code on SIGTERM, not 0"; }
    if podman logs "$replica" 2>&1 | grep -Eq "Traceback| ERROR "; then
      show_logs "$replica"; fail "$replica logged an error"
    fi
  done
  step "two replicas on PostgreSQL: both healthy at revision $versions, no error, both stopped 0"
elif [ "${CI:-}" = true ]; then
  fail "PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)"
else
  step "PostgreSQL is not running on 127.0.0.1:5432: two-replica run skipped"
fi
step "image test passed"
