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
    exec $S run
elif $S --help | grep -q "^  serve "; then
    exec $S serve
fi
echo "sample data loaded; the HTTP service is not part of this build yet"
