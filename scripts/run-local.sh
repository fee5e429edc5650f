#!/bin/sh
# `make run`: set up the database, load the sample content, build feeds, start the service.
set -e
CONFIG="$1"
S=".venv/bin/syndicate --config $CONFIG"
$S init
$S import examples/articles || true
$S subscribers import examples/subscribers.csv || true
if $S --help | grep -q "^  feeds "; then
    $S feeds build
fi
if $S --help | grep -q "^  run "; then
    if $S digest --help 2>/dev/null | grep -q "^  send "; then
        NOW="$S digest send"
    else
        NOW="$S digest tick"
    fi
    cat <<EOF

  feeds:   http://127.0.0.1:8080/feeds/world/rss.xml (and politics, mundo, all)
  digests: to the Maildir var/outbox/ at each sample subscriber's time
           (examples/subscribers.csv: 07:00 Lima, 08:30 Madrid, 06:45 New York)
  send one now, from another terminal:  $NOW
  then read it:                         mutt -f var/outbox   (or ls var/outbox/new)
  stop with Ctrl-C; reload the config with: kill -HUP <pid of syndicate run>

EOF
    exec $S run
elif $S --help | grep -q "^  serve "; then
    exec $S serve
fi
echo "sample data loaded; the HTTP service is not part of this build yet"
