// Cyrus SASL sessions and the SASL security layer (see sasl.h).
#include "rpc/sasl.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sasl/sasl.h>
#include <strings.h>

namespace virtd::rpc {

// Owns the sasl_conn_t, the callback table Cyrus keeps a pointer to, and the answers the
// client's callbacks hand to Cyrus (which must stay valid while the connection lives).
struct SaslConn {
    sasl_conn_t* conn = nullptr;
    std::vector<sasl_callback_t> callbacks;
    SaslCredentials credentials;
    std::optional<std::string> authname;
    sasl_secret_t* secret = nullptr;
    std::optional<Error> callback_error; // why a credentials callback failed

    SaslConn() = default;
    SaslConn(const SaslConn&) = delete;
    SaslConn& operator=(const SaslConn&) = delete;
    ~SaslConn() {
        if (conn) sasl_dispose(&conn);
        if (secret) {
            std::memset(secret->data, 0, secret->len);
            std::free(secret);
        }
        if (authname) std::fill(authname->begin(), authname->end(), '\0');
    }
};

namespace {

Error sasl_failure(ErrorDomain domain, std::string_view what, int rc) {
    return make_error(ErrorCode::AuthFailed, domain, "{}: {}", what,
                      sasl_errstring(rc, nullptr, nullptr));
}

// Results that mean "these credentials are not good", whatever the reason; all read the same
// so a client cannot tell an unknown user from a wrong password.
bool is_credentials_failure(int rc) {
    switch (rc) {
    case SASL_BADAUTH:
    case SASL_NOUSER:
    case SASL_NOAUTHZ:
    case SASL_EXPIRED:
    case SASL_DISABLED:
    case SASL_NOVERIFY:
    case SASL_UNAVAIL:
    case SASL_TRANS:
    case SASL_WEAKPASS:
        return true;
    default:
        return false;
    }
}

sasl_ssf_t conn_ssf(sasl_conn_t* conn) {
    const void* value = nullptr;
    if (sasl_getprop(conn, SASL_SSF, &value) != SASL_OK || !value) return 0;
    return *static_cast<const sasl_ssf_t*>(value);
}

Status set_security(sasl_conn_t* conn, const SaslPeer& peer) {
    sasl_ssf_t external = peer.external_ssf;
    int rc = sasl_setprop(conn, SASL_SSF_EXTERNAL, &external);
    if (rc != SASL_OK) return sasl_failure(ErrorDomain::Auth, "cannot set the external SSF", rc);
    sasl_security_properties_t props{};
    props.min_ssf = peer.secure_channel ? 0 : kSaslMinInsecureSsf;
    props.max_ssf = 100000;
    props.maxbufsize = kSaslMaxBufSize;
    props.security_flags = SASL_SEC_NOANONYMOUS;
    if (!peer.secure_channel) props.security_flags |= SASL_SEC_NOPLAINTEXT;
    rc = sasl_setprop(conn, SASL_SEC_PROPS, &props);
    if (rc != SASL_OK)
        return sasl_failure(ErrorDomain::Auth, "cannot set the SASL security properties", rc);
    return {};
}

const char* or_null(const std::string& s) {
    return s.empty() ? nullptr : s.c_str();
}

Status check_ssf(sasl_conn_t* conn, bool secure) {
    if (secure) return {};
    sasl_ssf_t ssf = conn_ssf(conn);
    if (ssf < kSaslMinInsecureSsf)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "negotiated SSF {} was not strong enough (at least {} is needed "
                          "without TLS)",
                          ssf, kSaslMinInsecureSsf);
    return {};
}

// Cyrus declares callbacks as int (*)(void); going through void (*)(void) keeps
// -Wcast-function-type quiet, as GCC documents that type as matching every function.
using CallbackFn = int (*)();
template <typename F>
CallbackFn as_callback(F* fn) {
    return reinterpret_cast<CallbackFn>(reinterpret_cast<void (*)()>(fn));
}

std::once_flag client_once;
int client_init_rc = SASL_OK;

Status client_setup() {
    std::call_once(client_once, [] { client_init_rc = sasl_client_init(nullptr); });
    if (client_init_rc != SASL_OK)
        return sasl_failure(ErrorDomain::Auth, "cannot initialise the SASL client library",
                            client_init_rc);
    return {};
}

std::mutex server_mutex;
std::optional<SaslServerConfig> server_config;
std::string server_config_dir; // sasl_set_path wants a char*
std::string server_app_name;   // sasl_server_init keeps this pointer

// Client callbacks: context is the SaslConn.
int client_simple(void* context, int id, const char** result, unsigned* len) {
    auto* c = static_cast<SaslConn*>(context);
    if (id == SASL_CB_USER) {
        // No separate authorization id: act as the authenticated user.
        *result = "";
        if (len) *len = 0;
        return SASL_OK;
    }
    if (id != SASL_CB_AUTHNAME) return SASL_BADPARAM;
    if (!c->authname) {
        Result<std::string> name = c->credentials(SaslCredKind::AuthName, "Username");
        if (!name) {
            c->callback_error = name.error();
            return SASL_FAIL;
        }
        c->authname = std::move(*name);
    }
    *result = c->authname->c_str();
    if (len) *len = static_cast<unsigned>(c->authname->size());
    return SASL_OK;
}

int client_pass(sasl_conn_t*, void* context, int id, sasl_secret_t** psecret) {
    auto* c = static_cast<SaslConn*>(context);
    if (id != SASL_CB_PASS) return SASL_BADPARAM;
    if (!c->secret) {
        Result<std::string> pass = c->credentials(SaslCredKind::Password, "Password");
        if (!pass) {
            c->callback_error = pass.error();
            return SASL_FAIL;
        }
        size_t n = pass->size();
        auto* s = static_cast<sasl_secret_t*>(std::malloc(sizeof(sasl_secret_t) + n + 1));
        if (!s) return SASL_NOMEM;
        s->len = n;
        std::memcpy(s->data, pass->data(), n);
        s->data[n] = 0;
        std::fill(pass->begin(), pass->end(), '\0');
        c->secret = s;
    }
    *psecret = c->secret;
    return SASL_OK;
}

int client_realm(void*, int id, const char** available, const char** result) {
    if (id != SASL_CB_GETREALM) return SASL_BADPARAM;
    // The server's first realm, or none.
    *result = (available && available[0]) ? available[0] : "";
    return SASL_OK;
}

Result<std::optional<std::string>> check_data(std::optional<std::string> data) {
    if (data && data->size() > kSaslMaxData)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "SASL data of {} bytes is larger than the limit {}", data->size(),
                          kSaslMaxData);
    return data;
}

std::optional<std::string> out_data(const char* out, unsigned len) {
    if (!out) return std::nullopt;
    return std::string(out, len);
}

bool mech_in_list(std::string_view list, std::string_view mech) {
    size_t i = 0;
    while (i < list.size()) {
        size_t end = list.find_first_of(", ", i);
        if (end == std::string_view::npos) end = list.size();
        std::string_view m = list.substr(i, end - i);
        if (m.size() == mech.size() && strncasecmp(m.data(), mech.data(), m.size()) == 0)
            return true;
        i = end + 1;
    }
    return false;
}

} // namespace

// --- records and the layer ---

Status split_sasl_records(std::string& wire, const std::function<Status(std::string_view)>& each) {
    size_t pos = 0;
    Status result;
    while (wire.size() - pos >= 4) {
        const auto* p = reinterpret_cast<const unsigned char*>(wire.data() + pos);
        size_t len = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
        if (len == 0) {
            result = make_error(ErrorCode::Rpc, ErrorDomain::Rpc, "SASL record of 0 bytes");
            break;
        }
        if (len > kSaslMaxRecord) {
            result = make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                                "SASL record of {} bytes is larger than the limit {}", len,
                                kSaslMaxRecord);
            break;
        }
        if (wire.size() - pos - 4 < len) break;
        result = each(std::string_view(wire).substr(pos, 4 + len));
        pos += 4 + len;
        if (!result) break;
    }
    wire.erase(0, pos);
    return result;
}

SaslLayer::SaslLayer(std::shared_ptr<SaslConn> conn)
    : conn_(std::move(conn)) {
    const void* value = nullptr;
    if (sasl_getprop(conn_->conn, SASL_MAXOUTBUF, &value) == SASL_OK && value)
        max_out_ = *static_cast<const unsigned*>(value);
    if (max_out_ == 0) max_out_ = 4096; // Cyrus always reports one; be safe if not
}

SaslLayer::~SaslLayer() = default;

Status SaslLayer::encode(std::string_view plain, std::string& wire) {
    while (!plain.empty()) {
        std::string_view chunk = plain.substr(0, max_out_);
        const char* out = nullptr;
        unsigned out_len = 0;
        int rc = sasl_encode(conn_->conn, chunk.data(), static_cast<unsigned>(chunk.size()), &out,
                             &out_len);
        if (rc != SASL_OK)
            return make_error(ErrorCode::Rpc, ErrorDomain::Rpc, "cannot encode SASL data: {}",
                              sasl_errstring(rc, nullptr, nullptr));
        // The mechanism frames its own output (see sasl.h); anything else would not be what
        // a libvirt peer expects.
        const auto* p = reinterpret_cast<const unsigned char*>(out);
        if (out_len < 4 || ((size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) |
                            p[3]) != out_len - 4)
            return make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                              "the SASL mechanism's output of {} bytes is not one length-framed "
                              "record",
                              out_len);
        wire.append(out, out_len);
        plain.remove_prefix(chunk.size());
    }
    return {};
}

Status SaslLayer::decode(std::string& wire, std::string& plain) {
    return split_sasl_records(wire, [&](std::string_view record) -> Status {
        const char* out = nullptr;
        unsigned out_len = 0;
        int rc = sasl_decode(conn_->conn, record.data(), static_cast<unsigned>(record.size()), &out,
                             &out_len);
        if (rc != SASL_OK)
            return make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                              "cannot decode a SASL record of {} bytes: {}", record.size() - 4,
                              sasl_errstring(rc, nullptr, nullptr));
        if (out_len) plain.append(out, out_len);
        return {};
    });
}

// --- server ---

Status sasl_server_setup(const SaslServerConfig& config) {
    std::lock_guard<std::mutex> lock(server_mutex);
    if (server_config) {
        if (server_config->app_name == config.app_name &&
            server_config->config_dir == config.config_dir)
            return {};
        return make_error(ErrorCode::InternalError, ErrorDomain::Auth,
                          "SASL is already set up for '{}' with config folder '{}'",
                          server_config->app_name, server_config->config_dir);
    }
    if (!config.config_dir.empty()) {
        server_config_dir = config.config_dir;
        int rc = sasl_set_path(SASL_PATH_TYPE_CONFIG, server_config_dir.data());
        if (rc != SASL_OK)
            return sasl_failure(
                ErrorDomain::Auth,
                fmt::format("cannot use SASL config folder '{}'", config.config_dir), rc);
    }
    // Cyrus keeps the app name pointer (it does not copy it), so it must point at storage that
    // lives as long as the process.
    server_app_name = config.app_name;
    int rc = sasl_server_init(nullptr, server_app_name.c_str());
    if (rc != SASL_OK)
        return sasl_failure(ErrorDomain::Auth, "cannot initialise the SASL server library", rc);
    server_config = config;
    return {};
}

Result<std::unique_ptr<SaslServerSession>> SaslServerSession::create(const SaslPeer& peer) {
    {
        std::lock_guard<std::mutex> lock(server_mutex);
        if (!server_config)
            return make_error(ErrorCode::InternalError, ErrorDomain::Auth,
                              "SASL server sessions need sasl_server_setup() first");
    }
    auto conn = std::make_shared<SaslConn>();
    int rc = sasl_server_new(peer.service.c_str(), or_null(peer.server_name), nullptr,
                             or_null(peer.local_addr), or_null(peer.remote_addr), nullptr,
                             SASL_SUCCESS_DATA, &conn->conn);
    if (rc != SASL_OK) {
        conn->conn = nullptr;
        return sasl_failure(ErrorDomain::Auth, "cannot create a SASL server session", rc);
    }
    if (Status s = set_security(conn->conn, peer); !s) return s.error();
    return std::unique_ptr<SaslServerSession>(
        new SaslServerSession(std::move(conn), peer.secure_channel));
}

SaslServerSession::SaslServerSession(std::shared_ptr<SaslConn> conn, bool secure)
    : conn_(std::move(conn))
    , secure_(secure) {}

SaslServerSession::~SaslServerSession() = default;

Result<std::string> SaslServerSession::mechlist() {
    const char* list = nullptr;
    int rc = sasl_listmech(conn_->conn, nullptr, "", ",", "", &list, nullptr, nullptr);
    if (rc != SASL_OK)
        return sasl_failure(ErrorDomain::Auth, "cannot list the SASL mechanisms", rc);
    return std::string(list ? list : "");
}

namespace {

bool is_scram(std::string_view mech) {
    return mech.size() > 6 && strncasecmp(mech.data(), "SCRAM-", 6) == 0;
}

std::string base64(const unsigned char* data, size_t size) {
    gnutls_datum_t in{const_cast<unsigned char*>(data), static_cast<unsigned>(size)};
    gnutls_datum_t out{};
    if (gnutls_base64_encode2(&in, &out) < 0) return {};
    std::string s(reinterpret_cast<char*>(out.data), out.size);
    gnutls_free(out.data);
    return s;
}

// What Cyrus would answer a SCRAM client-first message ("n,,n=USER,r=NONCE") for a user who
// exists: "r=NONCE+SERVERNONCE,s=SALT,i=4096". The salt is a keyed hash of the name, so asking
// twice gives the same one, as for a real user.
std::optional<std::string> scram_decoy(std::string_view client_first) {
    size_t n = client_first.find("n=");
    size_t r = client_first.find(",r=");
    if (n == std::string_view::npos || r == std::string_view::npos || r < n) return std::nullopt;
    std::string_view user = client_first.substr(n + 2, r - n - 2);
    std::string_view nonce = client_first.substr(r + 3);
    nonce = nonce.substr(0, nonce.find(','));
    static const std::array<unsigned char, 32> key = [] {
        std::array<unsigned char, 32> k{};
        gnutls_rnd(GNUTLS_RND_KEY, k.data(), k.size());
        return k;
    }();
    unsigned char salt[32];
    gnutls_hmac_fast(GNUTLS_MAC_SHA256, key.data(), key.size(), user.data(), user.size(), salt);
    unsigned char server_nonce[32];
    gnutls_rnd(GNUTLS_RND_NONCE, server_nonce, sizeof server_nonce);
    return fmt::format("r={}{},s={},i=4096", nonce, base64(server_nonce, sizeof server_nonce),
                       base64(salt, 16));
}

} // namespace

Result<SaslStep> SaslServerSession::finish(int rc, const char* out, unsigned out_len) {
    if (rc == SASL_OK) {
        if (Status s = check_ssf(conn_->conn, secure_); !s) {
            failed_ = true;
            return s.error();
        }
        complete_ = true;
        return SaslStep{true, out_data(out, out_len)};
    }
    if (rc == SASL_CONTINUE) {
        std::optional<std::string> data = out_data(out, out_len);
        if (data && data->size() > kSaslMaxData) {
            failed_ = true;
            return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                              "SASL challenge of {} bytes is larger than the limit {}",
                              data->size(), kSaslMaxData);
        }
        return SaslStep{false, std::move(data)};
    }
    failed_ = true;
    if (is_credentials_failure(rc))
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth, "authentication failed");
    if (rc == SASL_TOOWEAK || rc == SASL_ENCRYPT)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "authentication failed: the mechanism is not strong enough for this "
                          "channel (SSF at least {} is needed without TLS)",
                          kSaslMinInsecureSsf);
    return sasl_failure(ErrorDomain::Auth, "authentication failed", rc);
}

Result<SaslStep> SaslServerSession::start(std::string_view mech, std::optional<std::string> data) {
    if (started_)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "SASL authentication was already started");
    started_ = true;
    steps_++;
    Result<std::optional<std::string>> in = check_data(std::move(data));
    if (!in) {
        failed_ = true;
        return in.error();
    }
    std::string mech_name(mech);
    if (mech_name.empty() || mech_name.size() > 64) { // SASL mechanism names are <= 20 chars
        failed_ = true;
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "authentication failed: bad mechanism name");
    }
    const char* out = nullptr;
    unsigned out_len = 0;
    const std::optional<std::string>& d = *in;
    int rc = sasl_server_start(conn_->conn, mech_name.c_str(), d ? d->data() : nullptr,
                               d ? static_cast<unsigned>(d->size()) : 0, &out, &out_len);
    if (rc == SASL_NOMECH) {
        failed_ = true;
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "authentication failed: mechanism '{}' is not available", mech_name);
    }
    if (rc == SASL_NOUSER && d && is_scram(mech_name))
        if (std::optional<std::string> challenge = scram_decoy(*d)) {
            decoy_ = true;
            return SaslStep{false, std::move(challenge)};
        }
    return finish(rc, out, out_len);
}

Result<SaslStep> SaslServerSession::step(std::optional<std::string> data) {
    if (!started_ || failed_)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "SASL step without a successful start");
    if (decoy_) {
        failed_ = true;
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth, "authentication failed");
    }
    // The client may need one more round to check the server's final data.
    if (complete_) return SaslStep{true, std::nullopt};
    if (++steps_ > kSaslMaxSteps) {
        failed_ = true;
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "authentication failed: more than {} SASL steps", kSaslMaxSteps);
    }
    Result<std::optional<std::string>> in = check_data(std::move(data));
    if (!in) {
        failed_ = true;
        return in.error();
    }
    const char* out = nullptr;
    unsigned out_len = 0;
    const std::optional<std::string>& d = *in;
    int rc = sasl_server_step(conn_->conn, d ? d->data() : nullptr,
                              d ? static_cast<unsigned>(d->size()) : 0, &out, &out_len);
    return finish(rc, out, out_len);
}

std::string SaslServerSession::username() const {
    if (!complete_) return {};
    const void* value = nullptr;
    if (sasl_getprop(conn_->conn, SASL_USERNAME, &value) != SASL_OK || !value) return {};
    return static_cast<const char*>(value);
}

unsigned SaslServerSession::ssf() const {
    return complete_ ? conn_ssf(conn_->conn) : 0;
}

std::unique_ptr<SecurityLayer> SaslServerSession::make_layer() {
    if (!complete_ || ssf() == 0) return nullptr;
    return std::make_unique<SaslLayer>(conn_);
}

// --- client ---

Result<std::unique_ptr<SaslClientSession>> SaslClientSession::create(const SaslPeer& peer,
                                                                     SaslCredentials credentials) {
    if (Status s = client_setup(); !s) return s.error();
    auto conn = std::make_shared<SaslConn>();
    conn->credentials = std::move(credentials);
    void* ctx = conn.get();
    conn->callbacks = {
        {SASL_CB_AUTHNAME, as_callback(&client_simple), ctx},
        {SASL_CB_USER, as_callback(&client_simple), ctx},
        {SASL_CB_PASS, as_callback(&client_pass), ctx},
        {SASL_CB_GETREALM, as_callback(&client_realm), ctx},
        {SASL_CB_LIST_END, nullptr, nullptr},
    };
    int rc = sasl_client_new(peer.service.c_str(), or_null(peer.server_name),
                             or_null(peer.local_addr), or_null(peer.remote_addr),
                             conn->callbacks.data(), SASL_SUCCESS_DATA, &conn->conn);
    if (rc != SASL_OK) {
        conn->conn = nullptr;
        return sasl_failure(ErrorDomain::Auth, "cannot create a SASL client session", rc);
    }
    if (Status s = set_security(conn->conn, peer); !s) return s.error();
    return std::unique_ptr<SaslClientSession>(
        new SaslClientSession(std::move(conn), peer.secure_channel));
}

SaslClientSession::SaslClientSession(std::shared_ptr<SaslConn> conn, bool secure)
    : conn_(std::move(conn))
    , secure_(secure) {}

SaslClientSession::~SaslClientSession() = default;

Result<SaslStep> SaslClientSession::finish(int rc, const char* out, unsigned out_len) {
    if (rc == SASL_OK || rc == SASL_CONTINUE) {
        std::optional<std::string> data = out_data(out, out_len);
        if (data && data->size() > kSaslMaxData) {
            failed_ = true;
            return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                              "SASL response of {} bytes is larger than the limit {}", data->size(),
                              kSaslMaxData);
        }
        if (rc == SASL_OK) {
            if (Status s = check_ssf(conn_->conn, secure_); !s) {
                failed_ = true;
                return s.error();
            }
            complete_ = true;
        }
        return SaslStep{complete_, std::move(data)};
    }
    failed_ = true;
    if (conn_->callback_error) return conn_->callback_error->with_context("SASL credentials: ");
    if (rc == SASL_INTERACT)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "SASL asked for an interaction the client cannot answer");
    const char* detail = sasl_errdetail(conn_->conn);
    return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth, "authentication failed: {}",
                      detail ? detail : sasl_errstring(rc, nullptr, nullptr));
}

Result<SaslClientStart> SaslClientSession::start(std::string_view server_mechlist,
                                                 std::string_view wanted_mech) {
    if (started_)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "SASL authentication was already started");
    started_ = true;
    steps_++;
    std::string list(server_mechlist);
    if (!wanted_mech.empty()) {
        if (!mech_in_list(server_mechlist, wanted_mech)) {
            failed_ = true;
            return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                              "SASL mechanism '{}' is not offered by the server (it offers '{}')",
                              wanted_mech, server_mechlist);
        }
        list = std::string(wanted_mech);
    }
    const char* out = nullptr;
    unsigned out_len = 0;
    const char* mech = nullptr;
    sasl_interact_t* interact = nullptr;
    int rc = sasl_client_start(conn_->conn, list.c_str(), &interact, &out, &out_len, &mech);
    if (rc == SASL_NOMECH || rc == SASL_TOOWEAK) {
        failed_ = true;
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "no usable SASL mechanism among '{}'{}", server_mechlist,
                          secure_ ? "" : " (without TLS the mechanism needs an SSF of 56 or more)");
    }
    Result<SaslStep> r = finish(rc, out, out_len);
    if (!r) return r.error();
    return SaslClientStart{mech ? mech : "", std::move(r->data), r->complete};
}

Result<SaslStep> SaslClientSession::step(std::optional<std::string> server_data) {
    if (!started_ || failed_)
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "SASL step without a successful start");
    if (complete_ && !server_data) return SaslStep{true, std::nullopt};
    if (++steps_ > kSaslMaxSteps) {
        failed_ = true;
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "authentication failed: more than {} SASL steps", kSaslMaxSteps);
    }
    Result<std::optional<std::string>> in = check_data(std::move(server_data));
    if (!in) {
        failed_ = true;
        return in.error();
    }
    const char* out = nullptr;
    unsigned out_len = 0;
    sasl_interact_t* interact = nullptr;
    const std::optional<std::string>& d = *in;
    int rc = sasl_client_step(conn_->conn, d ? d->data() : nullptr,
                              d ? static_cast<unsigned>(d->size()) : 0, &interact, &out, &out_len);
    return finish(rc, out, out_len);
}

unsigned SaslClientSession::ssf() const {
    return complete_ ? conn_ssf(conn_->conn) : 0;
}

std::unique_ptr<SecurityLayer> SaslClientSession::make_layer() {
    if (!complete_ || ssf() == 0) return nullptr;
    return std::make_unique<SaslLayer>(conn_);
}

} // namespace virtd::rpc
