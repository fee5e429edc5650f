#!/bin/sh
# Build the wheel, install it into a new virtualenv outside the checkout, and run a new
# site from a scratch folder with it, as an operator would on a server: new, init,
# import, feeds build, digest preview, send-test, digest send (Maildir), serve.
# Fails when the wheel lacks a file of the package or a template, or any step fails.
set -eu

CHECKOUT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/syndicate-wheel.XXXXXX")"
SERVE_PID=""
cleanup() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
say() { echo "wheel-smoke: $*"; }
fail() {
    echo "wheel-smoke: FAILED: $*" >&2
    exit 1
}

# Build from the files git knows (committed or not, never ignored ones): a stale
# build/ folder in the checkout must not put files in the wheel that the tree lacks.
say "copying the source tree to $WORK/src"
mkdir "$WORK/src"
if git -C "$CHECKOUT" ls-files -z --cached --others --exclude-standard >"$WORK/files" 2>/dev/null; then
    :
else
    (cd "$CHECKOUT" && find . \( -name .git -o -name .venv -o -name build -o -name dist \
        -o -name var -o -name '*.egg-info' -o -name __pycache__ -o -name '.*_cache' -o -name .hypothesis \) -prune -o -type f -print0) \
        >"$WORK/files"
fi
(cd "$CHECKOUT" && tar -cf - --null --no-recursion -T "$WORK/files") | tar -xf - -C "$WORK/src"
[ -f "$WORK/src/pyproject.toml" ] || fail "could not copy the source tree"

say "creating the virtualenv $WORK/venv"
python3 -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"

say "building the wheel"
"$PY" -m pip wheel -q --no-deps -w "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log"; fail "the wheel did not build"; }
WHEEL="$(ls "$WORK"/dist/syndicate-*.whl)"

say "checking that $(basename "$WHEEL") holds every file of syndicate/ and templates/"
"$PY" - "$WHEEL" "$WORK/src" <<'EOF' || fail "files are missing from the wheel"
import sys
import zipfile
from pathlib import Path

wheel, src = sys.argv[1], Path(sys.argv[2])
names = set(zipfile.ZipFile(wheel).namelist())
wanted = {
    f"syndicate/templates/{path.relative_to(src / 'templates').as_posix()}"
    for path in (src / "templates").rglob("*")
    if path.is_file()
}
assert wanted, "no templates in the source tree"
wanted |= {
    path.relative_to(src).as_posix()
    for path in (src / "syndicate").rglob("*")
    if path.is_file() and "__pycache__" not in path.parts
}
missing = sorted(wanted - names)
for name in missing:
    print(f"wheel-smoke: not in the wheel: {name}", file=sys.stderr)
sys.exit(1 if missing else 0)
EOF

say "installing the wheel (not editable) into the virtualenv"
"$PY" -m pip install -q "$WHEEL" >"$WORK/install.log" 2>&1 \
    || { tail -30 "$WORK/install.log"; fail "the wheel did not install"; }

mkdir "$WORK/scratch"
cd "$WORK/scratch"
WHERE="$("$PY" -c 'import syndicate; print(syndicate.__file__)')"
case "$WHERE" in
    "$WORK/venv/"*) ;;
    *) fail "syndicate was imported from $WHERE, not from the virtualenv" ;;
esac

S="$WORK/venv/bin/syndicate"
say "syndicate new"
"$S" new site --title "Smoke Test News" --url https://news.example.org \
    --timezone America/Lima --section world --section politics --section mundo=Mundo >new.txt
cat new.txt
eval "$(sed -n 's/^  export /export /p' new.txt)"
[ -n "${SYNDICATE_SECRET:-}" ] || fail "syndicate new printed no SYNDICATE_SECRET"
C="--config site/config.toml"

say "config check, init, import, feeds build"
"$S" $C config check
"$S" $C init
"$S" $C import "$CHECKOUT/examples/articles"
"$S" $C feeds build
for name in world/rss.xml world/atom.xml world/feed.json all/rss.xml feed.xsl; do
    [ -s "site/var/public/feeds/$name" ] || fail "feeds build wrote no $name"
done

say "digest preview"
"$S" $C digest preview --out preview
grep -q "Dockworkers halt three Pacific ports" preview/digest-*.html \
    || fail "the preview lacks the sample headline"

say "send-test and digest send to the Maildir"
"$S" $C send-test --to operator@example.org
"$S" $C subscribers add reader@example.org --sections world,politics,mundo --confirmed
"$S" $C digest send
"$PY" - site/var/outbox <<'EOF' || fail "the Maildir does not hold the digests"
import mailbox
import sys
from email import message_from_bytes, policy

box = mailbox.Maildir(sys.argv[1], create=False)
messages = [message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.keys()]
by_recipient = {str(m["To"]): m for m in messages}
assert sorted(by_recipient) == ["operator@example.org", "reader@example.org"], sorted(by_recipient)
for recipient, message in sorted(by_recipient.items()):
    html, text = message.get_body(("html",)), message.get_body(("plain",))
    assert html is not None and text is not None, recipient
    assert "Dockworkers halt three Pacific ports" in html.get_content(), recipient
    assert "La cumbre del clima" in text.get_content(), recipient
    print(f"wheel-smoke: read from the Maildir: {recipient}: {message['Subject']}")
EOF

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
say "serve on 127.0.0.1:$PORT"
"$S" $C serve --port "$PORT" >serve.log 2>&1 &
SERVE_PID=$!
# The web edition of a date holds what came in the 24 hours before that date's send
# time: past today's send time, what was just imported is in tomorrow's edition.
TODAY="$("$PY" - site/config.toml <<'END'
import sys
import tomllib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

with open(sys.argv[1], "rb") as handle:
    config = tomllib.load(handle)
now = datetime.now(ZoneInfo(config["site"]["timezone"]))
send = time.fromisoformat(config.get("schedule", {}).get("digest_time", "07:00"))
print(now.date() + timedelta(days=1) if now.time() >= send else now.date())
END
)"
"$PY" - "http://127.0.0.1:$PORT" "$TODAY" <<'EOF' || { cat serve.log; fail "a page did not answer as expected"; }
import sys
import time
import urllib.error
import urllib.request

base, today = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + 30
while True:
    try:
        urllib.request.urlopen(f"{base}/healthz", timeout=2)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("wheel-smoke: serve did not answer within 30 s")
        time.sleep(0.2)
expected = {
    "/subscribe": (200, 'name="email"'),
    "/feeds/world/": (200, 'rel="alternate"'),
    "/feeds/world/rss.xml": (200, "Dockworkers halt three Pacific ports"),
    "/feeds/all/atom.xml": (200, "La cumbre del clima"),
    f"/digests/{today}": (200, "Dockworkers halt three Pacific ports"),
    "/no-such-page": (404, "<html"),
}
failed = False
for path, (status, text) in expected.items():
    try:
        with urllib.request.urlopen(base + path, timeout=10) as answer:
            code, body = answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        code, body = error.code, error.read().decode("utf-8")
    ok = code == status and text in body
    failed = failed or not ok
    print(f"wheel-smoke: GET {path}: {code}" + ("" if ok else f" (expected {status} with {text!r})"))
sys.exit(1 if failed else 0)
EOF
say "ok: the wheel works outside the checkout"
