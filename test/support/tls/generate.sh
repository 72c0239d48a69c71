#!/bin/sh
# Test-only TLS fixtures for the local provider's https/mTLS mode (never used outside tests).
# Regenerate with: sh test/support/tls/generate.sh   (valid 50 years)
set -e
cd "$(dirname "$0")"
DAYS=18262
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days $DAYS -subj "/CN=oauth-cc-worker test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() { # name subject extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days $DAYS -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
issue client "/CN=mtls-client" "extendedKeyUsage=clientAuth"
issue other-client "/CN=other-mtls-client" "extendedKeyUsage=clientAuth"
rm -f ca.key ca.srl
