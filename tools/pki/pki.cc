// Certificate creation with GnuTLS's x509 API; see pki.h.
#include "tools/pki/pki.h"

#include <array>
#include <cstring>
#include <ctime>
#include <memory>

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

namespace virtd::pki {
namespace {

struct CrtDeleter {
    void operator()(gnutls_x509_crt_int* crt) const { gnutls_x509_crt_deinit(crt); }
};
struct KeyDeleter {
    void operator()(gnutls_x509_privkey_int* key) const { gnutls_x509_privkey_deinit(key); }
};
using Crt = std::unique_ptr<gnutls_x509_crt_int, CrtDeleter>;
using Key = std::unique_ptr<gnutls_x509_privkey_int, KeyDeleter>;

Error tls_error(int rc, std::string_view what) {
    return make_error(ErrorCode::GnutlsError, ErrorDomain::Rpc, "{}: {}", what,
                      gnutls_strerror(rc));
}

Error invalid(std::string message) {
    return Error(ErrorCode::InvalidArg, ErrorDomain::Rpc, std::move(message));
}

// Copies a GnuTLS-allocated datum into a string and frees it.
std::string take(gnutls_datum_t& d) {
    std::string s(reinterpret_cast<const char*>(d.data), d.size);
    gnutls_free(d.data);
    d.data = nullptr;
    return s;
}

gnutls_datum_t datum_of(const std::string& s) {
    return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
            static_cast<unsigned>(s.size())};
}

Result<Key> generate_key() {
    gnutls_x509_privkey_t raw = nullptr;
    int rc = gnutls_x509_privkey_init(&raw);
    if (rc < 0) {
        return tls_error(rc, "cannot allocate a private key");
    }
    Key key(raw);
    rc = gnutls_x509_privkey_generate(key.get(), GNUTLS_PK_ECDSA,
                                      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc < 0) {
        return tls_error(rc, "cannot generate an ECDSA P-256 key");
    }
    return key;
}

Result<std::string> export_key(gnutls_x509_privkey_t key) {
    gnutls_datum_t out{};
    int rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, nullptr, GNUTLS_PKCS_PLAIN,
                                               &out);
    if (rc < 0) {
        return tls_error(rc, "cannot export the private key");
    }
    return take(out);
}

Result<std::string> export_crt(gnutls_x509_crt_t crt) {
    gnutls_datum_t out{};
    int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out);
    if (rc < 0) {
        return tls_error(rc, "cannot export the certificate");
    }
    return take(out);
}

Result<Crt> import_crt(const std::string& pem) {
    gnutls_x509_crt_t raw = nullptr;
    int rc = gnutls_x509_crt_init(&raw);
    if (rc < 0) {
        return tls_error(rc, "cannot allocate a certificate");
    }
    Crt crt(raw);
    gnutls_datum_t d = datum_of(pem);
    rc = gnutls_x509_crt_import(crt.get(), &d, GNUTLS_X509_FMT_PEM);
    if (rc < 0) {
        return tls_error(rc, "cannot parse the certificate");
    }
    return crt;
}

Result<Key> import_key(const std::string& pem) {
    gnutls_x509_privkey_t raw = nullptr;
    int rc = gnutls_x509_privkey_init(&raw);
    if (rc < 0) {
        return tls_error(rc, "cannot allocate a private key");
    }
    Key key(raw);
    gnutls_datum_t d = datum_of(pem);
    rc =
        gnutls_x509_privkey_import2(key.get(), &d, GNUTLS_X509_FMT_PEM, nullptr, GNUTLS_PKCS_PLAIN);
    if (rc < 0) {
        return tls_error(rc, "cannot parse the private key");
    }
    return key;
}

Status check_days(int days) {
    if (days <= 0 || days > kMaxDays) {
        return invalid(fmt::format("validity of {} days is out of range: give --days between 1 "
                                   "and {}",
                                   days, kMaxDays));
    }
    return {};
}

// What kind of certificate `new_crt` makes.
enum class Role { Ca, Server, Client };

// The fields every certificate has: version, serial, validity, subject, key and key id.
Status fill_common(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const std::string& cn,
                   const std::string& org, int days) {
    int rc = gnutls_x509_crt_set_version(crt, 3);
    if (rc < 0) {
        return tls_error(rc, "cannot set the certificate version");
    }
    // A positive, non-zero 128-bit serial: the top bit is cleared, the next one set.
    std::array<unsigned char, 16> serial{};
    rc = gnutls_rnd(GNUTLS_RND_NONCE, serial.data(), serial.size());
    if (rc < 0) {
        return tls_error(rc, "cannot make a random serial number");
    }
    serial[0] = static_cast<unsigned char>((serial[0] & 0x7f) | 0x40);
    rc = gnutls_x509_crt_set_serial(crt, serial.data(), serial.size());
    if (rc < 0) {
        return tls_error(rc, "cannot set the serial number");
    }
    // Valid from a minute ago, so a peer whose clock is slightly behind accepts it at once.
    time_t now = time(nullptr);
    rc = gnutls_x509_crt_set_activation_time(crt, now - 60);
    if (rc >= 0) {
        rc = gnutls_x509_crt_set_expiration_time(crt, now + static_cast<time_t>(days) * 86400);
    }
    if (rc < 0) {
        return tls_error(rc, "cannot set the validity period");
    }
    if (!org.empty()) {
        rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, org.data(),
                                           org.size());
        if (rc < 0) {
            return tls_error(rc, fmt::format("cannot set the organization '{}'", org));
        }
    }
    rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn.data(), cn.size());
    if (rc < 0) {
        return tls_error(rc, fmt::format("cannot set the common name '{}'", cn));
    }
    rc = gnutls_x509_crt_set_key(crt, key);
    if (rc < 0) {
        return tls_error(rc, "cannot set the certificate's key");
    }
    std::array<unsigned char, 64> id{};
    size_t id_size = id.size();
    rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, id.data(), &id_size);
    if (rc >= 0) {
        rc = gnutls_x509_crt_set_subject_key_id(crt, id.data(), id_size);
    }
    if (rc < 0) {
        return tls_error(rc, "cannot set the subject key identifier");
    }
    return {};
}

// Basic constraints, key usage and extended key usage for `role`.
Status fill_role(gnutls_x509_crt_t crt, Role role) {
    int rc = gnutls_x509_crt_set_basic_constraints(crt, role == Role::Ca ? 1 : 0, -1);
    if (rc < 0) {
        return tls_error(rc, "cannot set the basic constraints");
    }
    unsigned usage = role == Role::Ca
                         ? (GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)
                         : (GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT);
    rc = gnutls_x509_crt_set_key_usage(crt, usage);
    if (rc < 0) {
        return tls_error(rc, "cannot set the key usage");
    }
    if (role != Role::Ca) {
        const char* purpose =
            role == Role::Server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT;
        rc = gnutls_x509_crt_set_key_purpose_oid(crt, purpose, 0);
        if (rc < 0) {
            return tls_error(rc, "cannot set the extended key usage");
        }
    }
    return {};
}

Status add_host(gnutls_x509_crt_t crt, const std::string& host) {
    std::array<unsigned char, 16> addr{};
    int rc = 0;
    if (inet_pton(AF_INET, host.c_str(), addr.data()) == 1) {
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr.data(), 4,
                                                  GNUTLS_FSAN_APPEND);
    } else if (inet_pton(AF_INET6, host.c_str(), addr.data()) == 1) {
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr.data(), 16,
                                                  GNUTLS_FSAN_APPEND);
    } else {
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host.data(), host.size(),
                                                  GNUTLS_FSAN_APPEND);
    }
    if (rc < 0) {
        return tls_error(rc, fmt::format("cannot add the host '{}'", host));
    }
    return {};
}

// Signs `crt` with the CA (or with its own key when `ca_crt` is null: self-signed) and returns
// the credential.
Result<Credential> sign(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, gnutls_x509_crt_t ca_crt,
                        gnutls_x509_privkey_t ca_key) {
    int rc = 0;
    if (ca_crt) {
        std::array<unsigned char, 64> id{};
        size_t id_size = id.size();
        unsigned critical = 0;
        rc = gnutls_x509_crt_get_subject_key_id(ca_crt, id.data(), &id_size, &critical);
        if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
            id_size = id.size();
            rc = gnutls_x509_crt_get_key_id(ca_crt, GNUTLS_KEYID_USE_SHA1, id.data(), &id_size);
        }
        if (rc >= 0) {
            rc = gnutls_x509_crt_set_authority_key_id(crt, id.data(), id_size);
        }
        if (rc < 0) {
            return tls_error(rc, "cannot set the authority key identifier");
        }
        rc = gnutls_x509_crt_sign2(crt, ca_crt, ca_key, GNUTLS_DIG_SHA256, 0);
    } else {
        rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    }
    if (rc < 0) {
        return tls_error(rc, "cannot sign the certificate");
    }
    Result<std::string> cert = export_crt(crt);
    if (!cert) {
        return cert.error();
    }
    Result<std::string> key_pem = export_key(key);
    if (!key_pem) {
        return key_pem.error();
    }
    return Credential{std::move(cert.value()), std::move(key_pem.value())};
}

// Builds a certificate for `role`; `ca` is null for the self-signed CA itself.
Result<Credential> make(Role role, const Credential* ca, const std::string& cn,
                        const std::string& org, int days, const std::vector<std::string>& hosts) {
    if (Status s = check_days(days); !s) {
        return s.error();
    }
    Crt ca_crt;
    Key ca_key;
    if (ca) {
        Result<Crt> c = import_crt(ca->cert_pem);
        if (!c) {
            return c.error().with_context("CA certificate");
        }
        Result<Key> k = import_key(ca->key_pem);
        if (!k) {
            return k.error().with_context("CA key");
        }
        ca_crt = std::move(c.value());
        ca_key = std::move(k.value());
        unsigned is_ca = 0;
        if (gnutls_x509_crt_get_basic_constraints(ca_crt.get(), nullptr, &is_ca, nullptr) < 0 ||
            !is_ca) {
            return invalid("the CA certificate is not a certificate authority (no CA:TRUE)");
        }
    }
    Result<Key> key = generate_key();
    if (!key) {
        return key.error();
    }
    gnutls_x509_crt_t raw = nullptr;
    int rc = gnutls_x509_crt_init(&raw);
    if (rc < 0) {
        return tls_error(rc, "cannot allocate a certificate");
    }
    Crt crt(raw);
    if (Status s = fill_common(crt.get(), key->get(), cn, org, days); !s) {
        return s.error();
    }
    if (Status s = fill_role(crt.get(), role); !s) {
        return s.error();
    }
    for (const std::string& host : hosts) {
        if (Status s = add_host(crt.get(), host); !s) {
            return s.error();
        }
    }
    return sign(crt.get(), key->get(), ca_crt.get(), ca_key.get());
}

} // namespace

bool is_ip_address(const std::string& host) {
    std::array<unsigned char, 16> addr{};
    return inet_pton(AF_INET, host.c_str(), addr.data()) == 1 ||
           inet_pton(AF_INET6, host.c_str(), addr.data()) == 1;
}

Result<Credential> create_ca(const CaOptions& options) {
    if (options.common_name.empty()) {
        return invalid("the CA needs a common name (--cn NAME)");
    }
    return make(Role::Ca, nullptr, options.common_name, options.organization, options.days, {});
}

Result<Credential> issue_server(const Credential& ca, const ServerOptions& options) {
    if (options.hosts.empty()) {
        return invalid("a server certificate needs at least one host name or IP address "
                       "(--host NAME[,NAME|IP...])");
    }
    for (const std::string& host : options.hosts) {
        if (host.empty() || host.find_first_of(" \t\n/,") != std::string::npos) {
            return invalid(fmt::format("'{}' is not a host name or IP address", host));
        }
    }
    return make(Role::Server, &ca, options.hosts.front(), options.organization, options.days,
                options.hosts);
}

Result<Credential> issue_client(const Credential& ca, const ClientOptions& options) {
    if (options.common_name.empty()) {
        return invalid("a client certificate needs a common name (--cn NAME)");
    }
    return make(Role::Client, &ca, options.common_name, options.organization, options.days, {});
}

Result<std::string> subject_dn(const std::string& cert_pem) {
    Result<Crt> crt = import_crt(cert_pem);
    if (!crt) {
        return crt.error();
    }
    gnutls_datum_t dn{};
    int rc = gnutls_x509_crt_get_dn2(crt->get(), &dn); // the form the daemon matches
    if (rc < 0) {
        return tls_error(rc, "cannot read the subject DN");
    }
    return take(dn);
}

} // namespace virtd::pki
