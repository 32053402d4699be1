#!/bin/sh
# Regenerates the merchant-certificate fixtures with OpenSSL 3 (not with our
# code). Run from this directory. The CA and merchant certificates last a
# century so the fixtures never expire under the tests.
set -eu
# A CA standing in for WeChat's merchant CA, and a merchant certificate it issues.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 36500 \
	-subj "/CN=Test WeChat Pay Merchant CA" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign"
openssl req -newkey rsa:2048 -nodes -keyout apiclient_key.pem -out merchant.csr \
	-subj "/CN=10000100/OU=Test Merchant"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > ext.cnf
openssl x509 -req -in merchant.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 36500 \
	-extfile ext.cnf -out apiclient_cert.pem
rm -f merchant.csr ext.cnf ca.srl ca.key
# As WeChat issues it: RC2-40 certificate bag, 3DES key bag, SHA-1 MAC; the
# password is the mch_id.
openssl pkcs12 -export -legacy -in apiclient_cert.pem -inkey apiclient_key.pem \
	-name "Tenpay Certificate" -passout pass:10000100 -out apiclient_cert_legacy.p12
# As OpenSSL 3 writes by default: PBES2 with AES-256-CBC, SHA-256 MAC.
openssl pkcs12 -export -in apiclient_cert.pem -inkey apiclient_key.pem \
	-passout pass:s3cret-p12-pass -out apiclient_cert_modern.p12
# With the CA certificate in the bundle too (the leaf is the one matching the key).
openssl pkcs12 -export -in apiclient_cert.pem -inkey apiclient_key.pem -certfile ca.pem \
	-passout pass:10000100 -out apiclient_cert_chain.p12
# A key that belongs to no certificate here (openssl refuses to put it in a
# p12 with the merchant certificate, so the mismatch is tried in PEM only).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other_key.pem
