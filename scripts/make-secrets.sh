#!/bin/sh
# Creates the secret files docker-compose.yml hands to the containers, in ./secrets/ (or the
# directory given as $1). Existing files are never overwritten: run it again any time.
#
#   django_secret_key  Django signing key (SECRET_KEY_FILE)
#   vault_keys         the vault key-encryption keyring, one `id:base64(32 bytes)` key (VAULT_KEYS_FILE)
#   postgres_password  the PostgreSQL password (POSTGRES_PASSWORD_FILE, read by the postgres image)
#   database_url       postgres://keyhold:<that password>@postgres:5432/keyhold (DATABASE_URL_FILE)
#
# Permissions: the directory is 0700 and is what keeps other host users out. The files are 0444
# (Swarm's default for secrets) because Compose bind-mounts them with their host owner and mode,
# and the containers read them as their own users (uid 10001 for Keyhold, 999 for postgres):
# a 0600 file owned by you would be unreadable there.
#
# Back up vault_keys somewhere safe: without it no stored secret can ever be decrypted.
set -eu

dir=${1:-"$(dirname -- "$0")/../secrets"}
umask 077
mkdir -p -- "$dir"
chmod 700 -- "$dir"

# N random bytes as URL-safe base64 without padding or newlines.
random_token() {
    head -c "$1" /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_'
}

# Writes $2 to $1 unless $1 exists; noclobber guards against a concurrent run as well.
create() {
    if [ -e "$1" ]; then
        echo "kept     $1"
        return 0
    fi
    (set -C && printf '%s\n' "$2" >"$1")
    chmod 444 -- "$1"
    echo "created  $1"
}

create "$dir/django_secret_key" "$(random_token 48)"
# Standard base64 (with padding) of exactly 32 random bytes, as the keyring format requires.
create "$dir/vault_keys" "k$(date -u +%Y%m%d):$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
create "$dir/postgres_password" "$(random_token 24)"

# URL-safe password characters need no escaping inside the URL.
password=$(cat -- "$dir/postgres_password")
create "$dir/database_url" "postgres://keyhold:${password}@postgres:5432/keyhold"
if ! grep -qF ":${password}@" "$dir/database_url"; then
    echo "warning: $dir/database_url does not use the password in $dir/postgres_password" >&2
fi
