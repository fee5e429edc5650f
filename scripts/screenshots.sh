#!/bin/sh
# `make screenshots`: render the English sample digest with `digest preview` and
# photograph it with headless Chromium at desktop and phone width into docs/.
# Nothing leaves the machine: every host name resolves to nothing, and the
# sample's remote images are swapped for local placeholders of the same size.
set -e
ROOT="$(pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ]; then
    echo "chromium not found; install it (Debian: apt-get install chromium)" >&2
    exit 1
fi

cp config.example.toml "$WORK/config.toml"
export SYNDICATE_SECRET="screenshots-only"
S="$ROOT/.venv/bin/syndicate --config $WORK/config.toml"
$S init >/dev/null
$S import examples/articles >/dev/null
$S subscribers add reader@example.org --sections world,politics --language en --confirmed >/dev/null
$S digest preview --email reader@example.org --out "$WORK/preview"

PAGE="$(ls "$WORK"/preview/*.html)"
"$ROOT/.venv/bin/python" - "$PAGE" <<'PY'
import re, sys
from pathlib import Path

page = Path(sys.argv[1])
placeholder = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='552' height='310'%3E"
    "%3Crect width='100%25' height='100%25' fill='%23c9c2b4'/%3E%3C/svg%3E"
)
html = re.sub(r'src="https?://[^"]+"', f'src="{placeholder}"', page.read_text(encoding="utf-8"))
page.write_text(html, encoding="utf-8")
PY

mkdir -p docs
shoot() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars \
        --host-resolver-rules="MAP * ~NOTFOUND" \
        --user-data-dir="$WORK/profile-$1" --window-size="$2" \
        --screenshot="$ROOT/docs/$1" "file://$PAGE" 2>/dev/null
    echo "wrote docs/$1"
}
shoot digest-desktop.png 1024,1820
shoot digest-phone.png 390,1660
