#!/bin/sh
# Installs chainprice's systemd units next to a Bitcoin Core node (run as root from the checkout
# at /opt/chainprice): the chainprice system user, its folders, the units, and the environment
# file with mode 0600 (an existing one is kept). With DESTDIR set, only stages the files there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${DESTDIR:-}

install -d -m 0755 "$root/etc/systemd/system"
install -m 0644 "$here"/chainprice-*.service "$here"/chainprice-*.timer "$root/etc/systemd/system/"
install -d -m 0700 "$root/etc/chainprice"
if [ ! -e "$root/etc/chainprice/chainprice.env" ]; then
    install -m 0600 "$here/chainprice.env" "$root/etc/chainprice/chainprice.env"
fi
chmod 0600 "$root/etc/chainprice/chainprice.env"
[ -n "$root" ] && exit 0

if ! id chainprice >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/chainprice --no-create-home \
        --shell /usr/sbin/nologin --user-group chainprice
fi
getent group bitcoin >/dev/null || groupadd --system bitcoin
usermod --append --groups bitcoin chainprice
install -d -o chainprice -g chainprice -m 0755 \
    /var/lib/chainprice /var/lib/chainprice/lake /var/lib/chainprice/metrics
systemctl daemon-reload
