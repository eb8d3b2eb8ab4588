// OpenSSL's libcrypto, the library libcurl's TLS uses here: lt-send reads and checks client
// certificates and keys with it at start-up (Sources/Shared/HTTP/TLSMaterial.swift).
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
