#!/bin/sh
# `make screenshots` (feeds part): build the sample feeds, serve them on 127.0.0.1 and
# photograph the World RSS feed as headless Chromium shows it through feed.xsl.
# Nothing leaves the machine: every other host name resolves to nothing, and the
# sample's remote images are swapped for a local placeholder in the served copy.
set -e
ROOT="$(pwd)"
WORK="$(mktemp -d)"
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ]; then
    echo "chromium not found; install it (Debian: apt-get install chromium)" >&2
    exit 1
fi

cp config.example.toml "$WORK/config.toml"
S="$ROOT/.venv/bin/syndicate --config $WORK/config.toml"
$S init >/dev/null
$S import examples/articles >/dev/null
$S feeds build >/dev/null

SITE="$WORK/site"
mkdir -p "$SITE"
cp -r "$WORK/var/public/feeds" "$SITE/feeds"
cat > "$SITE/placeholder.svg" <<'SVG'
<svg xmlns="http://www.w3.org/2000/svg" width="320" height="220"><rect width="100%" height="100%" fill="#c9c2b4"/></svg>
SVG
sed -i 's#url="https\{0,1\}://[^"]*"#url="/placeholder.svg"#g' "$SITE/feeds/world/rss.xml"

# XSLT needs an http:// origin (Chromium refuses it on file://): a throwaway local server.
"$ROOT/.venv/bin/python" -m http.server 0 --bind 127.0.0.1 --directory "$SITE" \
    >"$WORK/server.log" 2>&1 &
SERVER=$!
PORT=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
    PORT="$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$WORK/server.log" | head -n 1)"
    [ -n "$PORT" ] && break
    sleep 0.5
done
[ -n "$PORT" ] || { echo "the local web server did not start" >&2; exit 1; }

mkdir -p docs
# Chromium 156 still runs XSLT but overlays a deprecation banner; it is switched off here.
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars \
    --disable-features=GenerateXSLTWarningBanner \
    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
    --user-data-dir="$WORK/profile" --window-size=1024,700 \
    --screenshot="$ROOT/docs/feed-world.png" "http://127.0.0.1:$PORT/feeds/world/rss.xml" 2>/dev/null
echo "wrote docs/feed-world.png"
