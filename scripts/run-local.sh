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
    # The secrets this service runs with, for commands run from another terminal.
    mkdir -p var
    (umask 077 && printf 'SYNDICATE_SECRET=%s\nSYNDICATE_API_TOKEN=%s\n' \
        "$SYNDICATE_SECRET" "$SYNDICATE_API_TOKEN" > var/dev.env)
    chmod 600 var/dev.env
    # Addresses and folders as the config in use has them.
    eval "$(.venv/bin/python - "$CONFIG" <<'PY'
import shlex, sys
from syndicate import config
s = config.load(sys.argv[1])
first, rest = s.section_slugs[0], [*s.section_slugs[1:], "all"]
mail = s.delivery.maildir if s.delivery.transport == "maildir" else f"{s.smtp.host}:{s.smtp.port}"
for name, value in {"FEED": f"{s.public_url}/feeds/{first}/rss.xml", "OTHERS": ", ".join(rest),
                    "TRANSPORT": s.delivery.transport, "MAIL": mail}.items():
    print(f"{name}={shlex.quote(value)}")
PY
)"
    if [ "$TRANSPORT" = maildir ]; then
        READ="mutt -f $MAIL   (or ls $MAIL/new)"
    else
        READ="at the SMTP relay $MAIL"
    fi
    cat <<EOF

  feeds:   $FEED (and $OTHERS)
  digests: by $TRANSPORT to $MAIL at each sample subscriber's time
           (examples/subscribers.csv: 07:00 Lima, 08:30 Madrid, 06:45 New York)
  send one now, from another terminal:
      set -a; . var/dev.env; set +a; $NOW
  then read it:  $READ
  stop with Ctrl-C; reload the config with: kill -HUP <pid of syndicate run>

EOF
    exec $S run
elif $S --help | grep -q "^  serve "; then
    exec $S serve
fi
echo "sample data loaded; the HTTP service is not part of this build yet"
