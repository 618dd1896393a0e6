#!/usr/bin/env bash
# `make run`: migrate, seed the demo, then every process of the embedded default (Procfile:
# web, worker with beat, localstripe, the inbound SMTP server) under honcho, which stops them all on Ctrl-C.
#
#   EXPERTDESK_HOST, EXPERTDESK_PORT   where the web server listens (127.0.0.1:8000)
#   LOCALSTRIPE_PORT                   localstripe's port on 127.0.0.1 (8420)
#   INBOUND_SMTP_PORT                  the inbound SMTP server's port on 127.0.0.1 (2525)
#   EXPERTDESK_VAR_DIR                 SQLite, the broker, models, mail, localstripe's store (./var)
#   EXPERTDESK_SEED_DEMO=0             skip seed_demo, which queues the starter model's training
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export EXPERTDESK_HOST="${EXPERTDESK_HOST:-127.0.0.1}"
export EXPERTDESK_PORT="${EXPERTDESK_PORT:-8000}"
export LOCALSTRIPE_PORT="${LOCALSTRIPE_PORT:-8420}"
export INBOUND_SMTP_PORT="${INBOUND_SMTP_PORT:-2525}"
export EXPERTDESK_VAR_DIR="${EXPERTDESK_VAR_DIR:-$PWD/var}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
export PYTHONUNBUFFERED=1

mkdir -p "$EXPERTDESK_VAR_DIR"
.venv/bin/python manage.py migrate --noinput
if [ "${EXPERTDESK_SEED_DEMO:-1}" != "0" ]; then
  .venv/bin/python manage.py seed_demo
fi
cat <<INFO

  Expertdesk is starting at http://$EXPERTDESK_HOST:$EXPERTDESK_PORT/  (Ctrl-C stops everything)
  Stripe is localstripe on 127.0.0.1:$LOCALSTRIPE_PORT: pay with 4242 4242 4242 4242, any future date and CVC.
  E-mails land in $EXPERTDESK_VAR_DIR/mail/; mail sent to 127.0.0.1:$INBOUND_SMTP_PORT for
  <organization slug>@${INBOUND_EMAIL_DOMAIN:-inbound.expertdesk.local} becomes a ticket.

INFO
exec .venv/bin/honcho start -f Procfile
