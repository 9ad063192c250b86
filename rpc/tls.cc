#include "rpc/tls.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <unistd.h>

#include "common/file.h"
#include "common/text.h"

namespace virtd::rpc {
namespace {

struct CrtFree {
    void operator()(gnutls_x509_crt_t c) const { gnutls_x509_crt_deinit(c); }
};
struct KeyFree {
    void operator()(gnutls_x509_privkey_t k) const { gnutls_x509_privkey_deinit(k); }
};
struct CrlFree {
    void operator()(gnutls_x509_crl_t c) const { gnutls_x509_crl_deinit(c); }
};
using Crt = std::unique_ptr<gnutls_x509_crt_int, CrtFree>;
using Key = std::unique_ptr<gnutls_x509_privkey_int, KeyFree>;
using Crl = std::unique_ptr<gnutls_x509_crl_int, CrlFree>;

Error tls_error(ErrorCode code, std::string message) {
    return Error(code, ErrorDomain::Rpc, std::move(message));
}

std::string utc(time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

gnutls_datum_t datum(const std::string& s) {
    return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
            static_cast<unsigned>(s.size())};
}

std::string home_dir() {
    const char* h = std::getenv("HOME");
    return h && *h ? h : "/root";
}

// What to run to make a file anew, for error messages.
std::string fix_for(std::string_view what, TlsRole role) {
    if (what == "CA certificate")
        return "make a CA with 'virtd-pki ca' (or copy the CA's cacert.pem)";
    if (role == TlsRole::Server) return "make one with 'virtd-pki server --host HOSTNAME --force'";
    return "make one with 'virtd-pki client --cn NAME --force'";
}

Result<std::string> read_pem(const std::string& path, std::string_view what, TlsRole role) {
    if (path.empty())
        return tls_error(ErrorCode::SystemError,
                         fmt::format("no {} file is configured; {}", what, fix_for(what, role)));
    Result<std::string> text = read_file(path, 1 << 20);
    if (!text)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("Cannot read {} '{}': {}; {}", what, path,
                                     text.error().message(), fix_for(what, role)));
    return text;
}

Result<Crt> parse_crt(const std::string& pem, const std::string& path, std::string_view what) {
    gnutls_x509_crt_t raw = nullptr;
    gnutls_x509_crt_init(&raw);
    Crt crt(raw);
    gnutls_datum_t d = datum(pem);
    if (int rc = gnutls_x509_crt_import(crt.get(), &d, GNUTLS_X509_FMT_PEM); rc < 0)
        return tls_error(ErrorCode::SystemError, fmt::format("{} '{}' is not a PEM certificate: {}",
                                                             what, path, gnutls_strerror(rc)));
    return crt;
}

Status check_validity(gnutls_x509_crt_t crt, const std::string& path, std::string_view what,
                      TlsRole role) {
    time_t now = std::time(nullptr);
    time_t not_before = gnutls_x509_crt_get_activation_time(crt);
    time_t not_after = gnutls_x509_crt_get_expiration_time(crt);
    if (not_after != static_cast<time_t>(-1) && not_after < now)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("{} '{}' expired on {}; {}", what, path, utc(not_after),
                                     fix_for(what, role)));
    if (not_before != static_cast<time_t>(-1) && not_before > now)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("{} '{}' is not valid before {} (is the clock right?)", what,
                                     path, utc(not_before)));
    return {};
}

bool is_ip(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool has_purpose(gnutls_x509_crt_t crt, const char* oid, bool& any) {
    any = false;
    for (unsigned i = 0;; ++i) {
        char buf[256];
        size_t size = sizeof buf;
        unsigned critical = 0;
        int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, buf, &size, &critical);
        if (rc < 0) return false;
        any = true;
        if (std::strcmp(buf, oid) == 0) return true;
    }
}

std::string key_id_of_crt(gnutls_x509_crt_t crt) {
    unsigned char buf[64];
    size_t size = sizeof buf;
    if (gnutls_x509_crt_get_key_id(crt, 0, buf, &size) < 0) return {};
    return std::string(reinterpret_cast<char*>(buf), size);
}

std::string key_id_of_key(gnutls_x509_privkey_t key) {
    unsigned char buf[64];
    size_t size = sizeof buf;
    if (gnutls_x509_privkey_get_key_id(key, 0, buf, &size) < 0) return {};
    return std::string(reinterpret_cast<char*>(buf), size);
}

std::string status_text(unsigned status) {
    gnutls_datum_t out{};
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) < 0)
        return fmt::format("status {:#x}", status);
    std::string s(reinterpret_cast<char*>(out.data), out.size);
    gnutls_free(out.data);
    return s;
}

} // namespace

TlsFiles default_server_tls_files() {
    return {"/etc/pki/CA/cacert.pem", "/etc/pki/libvirt/servercert.pem",
            "/etc/pki/libvirt/private/serverkey.pem", ""};
}

TlsFiles default_client_tls_files() {
    if (::geteuid() == 0)
        return {"/etc/pki/CA/cacert.pem", "/etc/pki/libvirt/clientcert.pem",
                "/etc/pki/libvirt/private/clientkey.pem", ""};
    return client_tls_files_in(home_dir() + "/.pki/libvirt");
}

TlsFiles client_tls_files_in(const std::string& dir) {
    TlsFiles f{dir + "/cacert.pem", dir + "/clientcert.pem", dir + "/clientkey.pem", ""};
    if (::access((dir + "/cacrl.pem").c_str(), R_OK) == 0) f.crl_file = dir + "/cacrl.pem";
    return f;
}

Status check_tls_files(const TlsFiles& files, TlsRole role) {
    std::string side = role == TlsRole::Server ? "server" : "client";
    std::string cert_what = side + " certificate";
    std::string key_what = side + " key";

    Result<std::string> ca_pem = read_pem(files.ca_file, "CA certificate", role);
    if (!ca_pem) return ca_pem.error();
    // A CA file may hold several certificates; each must be a CA.
    gnutls_x509_crt_t* ca_raw = nullptr;
    unsigned ca_count = 0;
    gnutls_datum_t ca_datum = datum(*ca_pem);
    if (int rc =
            gnutls_x509_crt_list_import2(&ca_raw, &ca_count, &ca_datum, GNUTLS_X509_FMT_PEM, 0);
        rc < 0 || ca_count == 0)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("CA certificate '{}' is not a PEM certificate: {}",
                                     files.ca_file, gnutls_strerror(rc < 0 ? rc : 0)));
    std::vector<Crt> cas;
    for (unsigned i = 0; i < ca_count; ++i)
        cas.emplace_back(ca_raw[i]);
    gnutls_free(ca_raw);
    unsigned critical = 0, is_ca = 0, usage = 0;
    int pathlen = 0;
    for (const Crt& ca : cas) {
        if (Status s = check_validity(ca.get(), files.ca_file, "CA certificate", role); !s)
            return s;
        if (gnutls_x509_crt_get_basic_constraints(ca.get(), &critical, &is_ca, &pathlen) < 0 ||
            !is_ca)
            return tls_error(ErrorCode::SystemError,
                             fmt::format("CA certificate '{}' is not a CA (its basic constraints "
                                         "lack CA:TRUE); {}",
                                         files.ca_file, fix_for("CA certificate", role)));
        if (gnutls_x509_crt_get_key_usage(ca.get(), &usage, &critical) >= 0 &&
            !(usage & GNUTLS_KEY_KEY_CERT_SIGN))
            return tls_error(ErrorCode::SystemError,
                             fmt::format("CA certificate '{}' may not sign certificates (key "
                                         "usage lacks keyCertSign); {}",
                                         files.ca_file, fix_for("CA certificate", role)));
    }

    Result<std::string> cert_pem = read_pem(files.cert_file, cert_what, role);
    if (!cert_pem) return cert_pem.error();
    Result<Crt> cert = parse_crt(*cert_pem, files.cert_file, cert_what);
    if (!cert) return cert.error();
    if (Status s = check_validity(cert->get(), files.cert_file, cert_what, role); !s) return s;
    if (gnutls_x509_crt_get_basic_constraints(cert->get(), &critical, &is_ca, &pathlen) >= 0 &&
        is_ca)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("{} '{}' is a CA certificate, not a {} one; {}", cert_what,
                                     files.cert_file, side, fix_for(cert_what, role)));
    if (gnutls_x509_crt_get_key_usage(cert->get(), &usage, &critical) >= 0 &&
        !(usage & (GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT)))
        return tls_error(ErrorCode::SystemError,
                         fmt::format("{} '{}' may not be used for TLS (key usage lacks "
                                     "digitalSignature and keyEncipherment); {}",
                                     cert_what, files.cert_file, fix_for(cert_what, role)));
    bool any_purpose = false;
    const char* purpose =
        role == TlsRole::Server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT;
    if (!has_purpose(cert->get(), purpose, any_purpose) && any_purpose)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("{} '{}' is not for a TLS {} (its extended key usage lacks "
                                     "TLS WWW {}); {}",
                                     cert_what, files.cert_file, side, side,
                                     fix_for(cert_what, role)));
    std::vector<gnutls_x509_crt_t> ca_list;
    ca_list.reserve(cas.size());
    for (const Crt& ca : cas)
        ca_list.push_back(ca.get());
    unsigned verify = 0;
    if (gnutls_x509_crt_verify(cert->get(), ca_list.data(), static_cast<unsigned>(ca_list.size()),
                               0, &verify) < 0 ||
        verify != 0)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("{} '{}' is not signed by the CA in '{}' ({}); {}", cert_what,
                                     files.cert_file, files.ca_file, status_text(verify),
                                     fix_for(cert_what, role)));

    Result<std::string> key_pem = read_pem(files.key_file, key_what, role);
    if (!key_pem) return key_pem.error();
    gnutls_x509_privkey_t raw_key = nullptr;
    gnutls_x509_privkey_init(&raw_key);
    Key key(raw_key);
    gnutls_datum_t kd = datum(*key_pem);
    if (int rc = gnutls_x509_privkey_import2(key.get(), &kd, GNUTLS_X509_FMT_PEM, nullptr, 0);
        rc < 0)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("{} '{}' is not an unencrypted PEM private key: {}", key_what,
                                     files.key_file, gnutls_strerror(rc)));
    if (key_id_of_crt(cert->get()) != key_id_of_key(key.get()))
        return tls_error(ErrorCode::SystemError,
                         fmt::format("{} '{}' does not belong to the certificate '{}' (they were "
                                     "made separately); {}",
                                     key_what, files.key_file, files.cert_file,
                                     fix_for(cert_what, role)));

    if (!files.crl_file.empty()) {
        Result<std::string> crl_pem = read_pem(files.crl_file, "CRL", role);
        if (!crl_pem) return crl_pem.error();
        gnutls_x509_crl_t raw_crl = nullptr;
        gnutls_x509_crl_init(&raw_crl);
        Crl crl(raw_crl);
        gnutls_datum_t cd = datum(*crl_pem);
        if (int rc = gnutls_x509_crl_import(crl.get(), &cd, GNUTLS_X509_FMT_PEM); rc < 0)
            return tls_error(ErrorCode::SystemError,
                             fmt::format("CRL '{}' is not a PEM certificate revocation list: {}",
                                         files.crl_file, gnutls_strerror(rc)));
        gnutls_x509_crl_t crls[1] = {crl.get()};
        if (gnutls_x509_crt_check_revocation(cert->get(), crls, 1) == 1)
            return tls_error(ErrorCode::SystemError,
                             fmt::format("{} '{}' is revoked by the CRL '{}'; {}", cert_what,
                                         files.cert_file, files.crl_file,
                                         fix_for(cert_what, role)));
    }
    return {};
}

// ---- credentials --------------------------------------------------------------------------------

struct TlsCredentials::Impl {
    gnutls_certificate_credentials_t cred = nullptr;
    TlsRole role = TlsRole::Server;
    std::string priority;
    bool verify = true;
    std::vector<std::string> allowed_dn;
    std::string host;
    ~Impl() {
        if (cred) gnutls_certificate_free_credentials(cred);
    }
};

TlsCredentials::TlsCredentials(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
TlsCredentials::~TlsCredentials() = default;

namespace {

Status load_files(gnutls_certificate_credentials_t cred, const TlsFiles& f) {
    if (int rc =
            gnutls_certificate_set_x509_trust_file(cred, f.ca_file.c_str(), GNUTLS_X509_FMT_PEM);
        rc < 0)
        return tls_error(ErrorCode::SystemError, fmt::format("loading CA certificate '{}': {}",
                                                             f.ca_file, gnutls_strerror(rc)));
    if (!f.crl_file.empty())
        if (int rc =
                gnutls_certificate_set_x509_crl_file(cred, f.crl_file.c_str(), GNUTLS_X509_FMT_PEM);
            rc < 0)
            return tls_error(ErrorCode::SystemError,
                             fmt::format("loading CRL '{}': {}", f.crl_file, gnutls_strerror(rc)));
    if (int rc = gnutls_certificate_set_x509_key_file(cred, f.cert_file.c_str(), f.key_file.c_str(),
                                                      GNUTLS_X509_FMT_PEM);
        rc < 0)
        return tls_error(ErrorCode::SystemError,
                         fmt::format("loading certificate '{}' and key '{}': {}", f.cert_file,
                                     f.key_file, gnutls_strerror(rc)));
    return {};
}

} // namespace

Result<std::shared_ptr<TlsCredentials>>
TlsCredentials::load_server(const TlsServerOptions& options) {
    if (options.check_files)
        if (Status s = check_tls_files(options.files, TlsRole::Server); !s) return s.error();
    auto impl = std::make_unique<Impl>();
    gnutls_certificate_allocate_credentials(&impl->cred);
    if (Status s = load_files(impl->cred, options.files); !s) return s.error();
    impl->role = TlsRole::Server;
    impl->priority = options.priority;
    impl->verify = options.verify_client;
    impl->allowed_dn = options.allowed_dn;
    return std::shared_ptr<TlsCredentials>(new TlsCredentials(std::move(impl)));
}

Result<std::shared_ptr<TlsCredentials>>
TlsCredentials::load_client(const TlsClientOptions& options) {
    if (Status s = check_tls_files(options.files, TlsRole::Client); !s) return s.error();
    auto impl = std::make_unique<Impl>();
    gnutls_certificate_allocate_credentials(&impl->cred);
    if (Status s = load_files(impl->cred, options.files); !s) return s.error();
    impl->role = TlsRole::Client;
    impl->priority = options.priority;
    impl->verify = options.verify_server;
    impl->host = options.host;
    return std::shared_ptr<TlsCredentials>(new TlsCredentials(std::move(impl)));
}

// ---- session ------------------------------------------------------------------------------------

struct TlsSession::Impl {
    gnutls_session_t s = nullptr;
    const TlsCredentials::Impl* creds = nullptr; // kept alive by `owner`
    std::shared_ptr<const void> owner;
    std::string* in = nullptr; // the bytes gnutls may pull now
    size_t in_off = 0;
    std::string out; // what gnutls pushed, waiting for the caller
    bool peer_closed = false;
    ~Impl() {
        if (s) gnutls_deinit(s);
    }

    // Points gnutls at `wire` for the length of one call, then drops what it consumed.
    template <typename F>
    auto with_input(std::string& wire, F f) {
        in = &wire;
        in_off = 0;
        auto r = f();
        wire.erase(0, in_off);
        in = nullptr;
        return r;
    }
};

namespace {

ssize_t pull(gnutls_transport_ptr_t p, void* buf, size_t len) {
    auto* im = static_cast<TlsSession::Impl*>(p);
    if (!im->in || im->in_off >= im->in->size()) {
        gnutls_transport_set_errno(im->s, EAGAIN);
        return -1;
    }
    size_t n = std::min(len, im->in->size() - im->in_off);
    std::memcpy(buf, im->in->data() + im->in_off, n);
    im->in_off += n;
    return static_cast<ssize_t>(n);
}

ssize_t push(gnutls_transport_ptr_t p, const void* buf, size_t len) {
    static_cast<TlsSession::Impl*>(p)->out.append(static_cast<const char*>(buf), len);
    return static_cast<ssize_t>(len);
}

int pull_timeout(gnutls_transport_ptr_t p, unsigned) {
    auto* im = static_cast<TlsSession::Impl*>(p);
    return im->in && im->in_off < im->in->size() ? 1 : 0;
}

} // namespace

Result<std::unique_ptr<TlsSession>> TlsCredentials::new_session() const {
    auto im = std::make_unique<TlsSession::Impl>();
    bool server = impl_->role == TlsRole::Server;
    if (int rc = gnutls_init(&im->s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK);
        rc < 0)
        return tls_error(ErrorCode::GnutlsError,
                         fmt::format("starting a TLS session: {}", gnutls_strerror(rc)));
    const char* err = nullptr;
    if (int rc = gnutls_priority_set_direct(im->s, impl_->priority.c_str(), &err); rc < 0)
        return tls_error(ErrorCode::ConfSyntax,
                         fmt::format("TLS priority string '{}' is invalid near '{}': {}",
                                     impl_->priority, err ? err : "", gnutls_strerror(rc)));
    gnutls_credentials_set(im->s, GNUTLS_CRD_CERTIFICATE, impl_->cred);
    if (server) {
        // Requested, not required: a client without one is refused after the handshake with a
        // message, which the log can say, instead of a bare alert.
        gnutls_certificate_server_set_request(im->s, GNUTLS_CERT_REQUEST);
    } else if (!impl_->host.empty() && !is_ip(impl_->host)) {
        gnutls_server_name_set(im->s, GNUTLS_NAME_DNS, impl_->host.data(), impl_->host.size());
    }
    gnutls_transport_set_ptr(im->s, im.get());
    gnutls_transport_set_pull_function(im->s, pull);
    gnutls_transport_set_push_function(im->s, push);
    gnutls_transport_set_pull_timeout_function(im->s, pull_timeout);
    im->creds = impl_.get();
    im->owner = shared_from_this();
    return std::unique_ptr<TlsSession>(new TlsSession(std::move(im)));
}

TlsSession::TlsSession(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
TlsSession::~TlsSession() = default;

Result<bool> TlsSession::handshake(std::string& wire) {
    int rc = impl_->with_input(wire, [&] { return gnutls_handshake(impl_->s); });
    if (rc == GNUTLS_E_SUCCESS) return true;
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(rc))
        return false;
    return tls_error(ErrorCode::AuthFailed,
                     fmt::format("TLS handshake failed: {}", gnutls_strerror(rc)));
}

Status TlsSession::verify_peer() {
    const TlsCredentials::Impl& c = *impl_->creds;
    bool server = c.role == TlsRole::Server;
    unsigned list_size = 0;
    const gnutls_datum_t* certs = gnutls_certificate_get_peers(impl_->s, &list_size);
    if (certs && list_size > 0) {
        gnutls_x509_crt_t raw = nullptr;
        gnutls_x509_crt_init(&raw);
        Crt crt(raw);
        if (gnutls_x509_crt_import(crt.get(), &certs[0], GNUTLS_X509_FMT_DER) >= 0) {
            gnutls_datum_t dn{};
            if (gnutls_x509_crt_get_dn2(crt.get(), &dn) >= 0) {
                peer_dn_.assign(reinterpret_cast<char*>(dn.data), dn.size);
                gnutls_free(dn.data);
            }
        }
    }
    if (!c.verify) return {};
    std::string who = server ? "client" : "server";
    if (!certs || list_size == 0)
        return tls_error(ErrorCode::AuthFailed, fmt::format("the {} sent no certificate", who));
    unsigned status = 0;
    int rc = server ? gnutls_certificate_verify_peers2(impl_->s, &status)
                    : gnutls_certificate_verify_peers3(impl_->s, c.host.c_str(), &status);
    if (rc < 0)
        return tls_error(
            ErrorCode::AuthFailed,
            fmt::format("unable to verify the {} certificate: {}", who, gnutls_strerror(rc)));
    if (status != 0) {
        std::string hint = server ? ""
                                  : fmt::format(" (make the server's certificate for '{}' with "
                                                "'virtd-pki server --host {}', or add no_verify=1 "
                                                "to the URI to skip this check)",
                                                c.host, c.host);
        return tls_error(ErrorCode::AuthFailed,
                         fmt::format("the {} certificate failed verification: {}{}", who,
                                     status_text(status), hint));
    }
    if (server && !allowed_by(c.allowed_dn, peer_dn_))
        return tls_error(
            ErrorCode::AuthFailed,
            fmt::format("client certificate DN '{}' is not in tls_allowed_dn_list", peer_dn_));
    return {};
}

unsigned TlsSession::key_bits() const {
    return static_cast<unsigned>(gnutls_cipher_get_key_size(gnutls_cipher_get(impl_->s))) * 8;
}

Status TlsSession::encode(std::string_view plain, std::string& wire) {
    while (!plain.empty()) {
        ssize_t n = gnutls_record_send(impl_->s, plain.data(), plain.size());
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) continue;
        if (n < 0)
            return tls_error(
                ErrorCode::SystemError,
                fmt::format("TLS send failed: {}", gnutls_strerror(static_cast<int>(n))));
        plain.remove_prefix(static_cast<size_t>(n));
    }
    take_pending(wire);
    return {};
}

Status TlsSession::decode(std::string& wire, std::string& plain) {
    if (impl_->peer_closed)
        return tls_error(ErrorCode::SystemError, "the peer closed the TLS session");
    return impl_->with_input(wire, [&]() -> Status {
        char buf[16384];
        for (;;) {
            ssize_t n = gnutls_record_recv(impl_->s, buf, sizeof buf);
            if (n > 0) {
                plain.append(buf, static_cast<size_t>(n));
                continue;
            }
            if (n == 0) {
                impl_->peer_closed = true;
                return {};
            }
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) return {};
            if (n == GNUTLS_E_REHANDSHAKE)
                return tls_error(ErrorCode::SystemError, "the peer asked to renegotiate TLS");
            if (!gnutls_error_is_fatal(static_cast<int>(n))) continue;
            return tls_error(
                ErrorCode::SystemError,
                fmt::format("TLS receive failed: {}", gnutls_strerror(static_cast<int>(n))));
        }
    });
}

void TlsSession::take_pending(std::string& wire) {
    wire.append(impl_->out);
    impl_->out.clear();
}

} // namespace virtd::rpc
