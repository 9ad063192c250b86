// PKI: makes the certificate authority, server and client certificates virtd's TLS transport
// needs, with GnuTLS, so a TLS setup takes one command instead of a certtool template session.
//
// Keys are ECDSA P-256: generation takes milliseconds (RSA 3072 takes about a second), every
// GnuTLS/OpenSSL that speaks TLS 1.2 or 1.3 accepts them, and the strength matches RSA 3072.
// Certificates are X.509 v3, signed with SHA-256, carry a random 128-bit serial, subject and
// authority key identifiers, and the extensions libvirt's certificate sanity check wants (CA:TRUE
// + certSign for the CA; CA:FALSE + digitalSignature/keyEncipherment + the TLS WWW server or
// client purpose for the others). Everything is PEM text in memory; writing files is layout.h.
// Thread safety: the functions share no state.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace virtd::pki {

// A certificate and its private key, both PEM.
struct Credential {
    std::string cert_pem;
    std::string key_pem; // unencrypted PKCS#8 ("BEGIN PRIVATE KEY")
};

// The longest validity accepted, in days (100 years).
inline constexpr int kMaxDays = 36500;

struct CaOptions {
    std::string common_name = "virtd CA";
    std::string organization;
    int days = 3650;
};

struct ServerOptions {
    // DNS names and IP addresses (v4 or v6) the server is reached by; at least one. The first
    // becomes the common name; all of them become subject alternative names.
    std::vector<std::string> hosts;
    std::string organization;
    int days = 3650;
};

struct ClientOptions {
    std::string common_name; // required; libvirt's tls_allowed_dn_list matches the whole DN
    std::string organization;
    int days = 3650;
};

// Creates a self-signed certificate authority.
Result<Credential> create_ca(const CaOptions& options);

// Issues a certificate for a TLS server, signed by `ca`.
Result<Credential> issue_server(const Credential& ca, const ServerOptions& options);

// Issues a certificate for a TLS client, signed by `ca`.
Result<Credential> issue_client(const Credential& ca, const ClientOptions& options);

// The subject DN of a PEM certificate as the daemon's tls_allowed_dn_list matches it (GnuTLS's
// classic form, in certificate order, as libvirt uses: "O=Example,CN=admin").
Result<std::string> subject_dn(const std::string& cert_pem);

// Whether `host` is an IPv4 or IPv6 address literal (otherwise it is taken as a DNS name).
bool is_ip_address(const std::string& host);

} // namespace virtd::pki
