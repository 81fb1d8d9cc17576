#!/bin/sh
# Regenerates the fixtures in this directory with OpenSSL (3.x). See README.md.
# Run from this directory: sh gen.sh. ibm-example.csr is not generated: it is
# the CSR printed in IBM's documentation and is kept as-is.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# csr NAME SUBJECT [openssl req options...]: a CSR with a fresh RSA-2048 key
# unless the options bring their own -newkey or -key.
csr() {
	name=$1 subj=$2
	shift 2
	case " $* " in
	*" -newkey "* | *" -key "*) ;;
	*) set -- -newkey rsa:2048 "$@" ;;
	esac
	openssl req -new -nodes -keyout "$tmp/$name.key" -subj "$subj" -out "$name.csr" "$@" 2>/dev/null
}

# Accepted.
csr ok-rsa4096-c '/C=US' -sha256 -newkey rsa:4096 # the command in IBM's docs
csr ok-rsa2048-all '/C=US/ST=Minnesota/L=Rochester/O=Example Corp/OU=Storage' -sha256
csr ok-multi-ou-utf8 '/C=CH/L=Zürich/O=Example AG/OU=Storage/OU=Backup' -utf8 -sha384
csr ok-ecdsa-p256 '/O=Example Corp' -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256
csr ok-ecdsa-p384 '/O=Example Corp' -newkey ec -pkeyopt ec_paramgen_curve:P-384 -sha384
csr ok-rsa-pss '/O=Example Corp' -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32
cat >"$tmp/challenge.cnf" <<'CNF'
[req]
distinguished_name = dn
attributes = attrs
prompt = no
[dn]
O = Example Corp
[attrs]
challengePassword = secret-password
CNF
# -subj would make openssl skip the attributes section, so no csr helper here.
openssl req -new -nodes -newkey rsa:2048 -keyout "$tmp/challenge.key" -config "$tmp/challenge.cnf" \
	-out ok-challenge-password.csr 2>/dev/null

# Rejected.
csr fail-cn '/CN=x'
csr fail-o-cn '/O=Example Corp/CN=x'
csr fail-email '/O=Example Corp/emailAddress=admin@example.com'
csr fail-serialnumber '/O=Example Corp/serialNumber=1234'
csr fail-street '/O=Example Corp/street=1 Main Street'
csr fail-postalcode '/O=Example Corp/postalCode=55901'
csr fail-dc '/DC=com/DC=example'
csr fail-uid '/O=Example Corp/UID=alice'
csr fail-empty-subject '/'
csr fail-san '/O=Example Corp' -addext 'subjectAltName=DNS:example.com'
csr fail-keyusage '/O=Example Corp' -addext 'keyUsage=digitalSignature'
csr fail-rsa1024 '/O=Example Corp' -newkey rsa:1024
csr fail-rsa512 '/O=Example Corp' -newkey rsa:512
csr fail-ecdsa-p224 '/O=Example Corp' -newkey ec -pkeyopt ec_paramgen_curve:P-224
csr fail-ecdsa-secp256k1 '/O=Example Corp' -newkey ec -pkeyopt ec_paramgen_curve:secp256k1
csr fail-ed25519 '/O=Example Corp' -newkey ed25519
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$tmp/dsa.param" 2>/dev/null
csr fail-dsa '/O=Example Corp' -newkey "dsa:$tmp/dsa.param" -sha256
csr fail-sha1 '/O=Example Corp' -sha1
csr fail-md5 '/O=Example Corp' -md5
