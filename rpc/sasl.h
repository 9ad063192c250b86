// Cyrus SASL for libvirt's RPC authentication (AUTH_SASL_INIT / START / STEP, procedures 67-69)
// and the SASL security layer that wraps the stream once a mechanism with an SSF > 0 succeeds.
//
// Server setup. sasl_server_setup() is called once per process before the first
// SaslServerSession. Cyrus reads the application's configuration from
// `<config_dir>/<app_name>.conf` (default app name "virtd"; an empty config_dir keeps Cyrus's
// built-in search path, /etc/sasl2 on Debian). Keys are Cyrus's, for example:
//
//     mech_list: scram-sha-256 digest-md5
//     sasldb_path: /etc/virtd/passwd.db
//
// Users in a sasldb are created with `saslpasswd2 -f DB -a virtd -u REALM USER`. Cyrus looks
// a user up as USER@REALM, where REALM is the server FQDN a SaslServerSession is created with
// (saslpasswd2's default realm is the host name, so the two must agree).
//
// The exchange (server side): mechlist() answers AUTH_SASL_INIT, start() answers
// AUTH_SASL_START, step() answers each AUTH_SASL_STEP, also after completion (the client may
// send one more STEP to process the server's final data). A nil `data` (std::nullopt) is not
// an empty buffer: SASL tells the two apart.
//
// SSF rules: on a secure channel (TLS or a unix socket) any SSF is accepted and the TLS key size
// is passed as the external SSF; on plain TCP the negotiated SSF must be at least 56, so only
// mechanisms with a security layer (DIGEST-MD5, GSSAPI) succeed there. When the SSF is above 0,
// make_layer() returns the SecurityLayer that wraps every byte after the reply that completed
// the exchange.
//
// Failed authentication reads the same whether the user exists or not: "authentication failed".
// Cyrus's SCRAM refuses an unknown user at START but a wrong password only at the STEP after,
// which would tell the two apart; for an unknown user the session answers START with a decoy
// challenge (a salt derived from the name, a fresh nonce) and fails at the same STEP.
//
// Thread safety: sessions and layers are used by one thread at a time; the setup functions are
// safe to call from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "rpc/security_layer.h"

namespace virtd::rpc {

// The largest `data` an AUTH_SASL_START / STEP carries (remote_protocol's char data<65536>).
inline constexpr size_t kSaslMaxData = 65536;
// A session gives up after this many start/step calls.
inline constexpr unsigned kSaslMaxSteps = 16;
// The SSF plain TCP requires.
inline constexpr unsigned kSaslMinInsecureSsf = 56;
// Largest buffer either side asks its peer to send through sasl_encode.
inline constexpr unsigned kSaslMaxBufSize = 65536;
// Largest security-layer record (after the length word) a receiver accepts.
inline constexpr size_t kSaslMaxRecord = size_t{16} * 1024 * 1024;

struct SaslServerConfig {
    std::string app_name = "virtd";
    std::string config_dir; // empty: Cyrus's default search path
};

// Initialises the Cyrus server library once per process. Later calls with the same config
// succeed and do nothing; a different config is an error (Cyrus reads it only once).
Status sasl_server_setup(const SaslServerConfig& config);

// One step's answer: `complete` once this side has finished, `data` to send (nullopt = nil).
struct SaslStep {
    bool complete = false;
    std::optional<std::string> data;
};

// A sasl_conn_t and what must live as long as it (callbacks, credentials). Shared by a session
// and the layer it makes, so the layer outlives the session safely.
struct SaslConn;

// SASL security-layer records on the wire: a uint32 big-endian length, then that many bytes
// (RFC 4422 section 3.7). Cyrus's mechanisms (DIGEST-MD5, GSSAPI) write the length word
// themselves: one sasl_encode() output is one whole record, length included, and sasl_decode()
// takes whole records. So the layer sends sasl_encode() output as it is (a 32-byte RPC message
// under DIGEST-MD5 goes out as 00000030 + 48 bytes, as libvirt sends it) and checks each
// incoming record's length against kSaslMaxRecord before handing the record to sasl_decode().
// Plaintext goes through sasl_encode in chunks of at most the peer's negotiated maxbufsize.
class SaslLayer : public SecurityLayer {
public:
    explicit SaslLayer(std::shared_ptr<SaslConn> conn);
    ~SaslLayer() override;
    Status encode(std::string_view plain, std::string& wire) override;
    Status decode(std::string& wire, std::string& plain) override;
    // The most plaintext one sasl_encode call takes (the peer's negotiated maxbufsize).
    unsigned max_out_buf() const { return max_out_; }

private:
    std::shared_ptr<SaslConn> conn_;
    unsigned max_out_ = 0;
};

// Takes every whole record from the front of `wire`, calling `each` with the record including
// its 4-byte length word (what sasl_decode wants); a partial record stays in `wire`. A length
// of 0 or above kSaslMaxRecord is an error, as is any error `each` returns (which stops the
// walk; the records before it, and that one, are gone from `wire`).
Status split_sasl_records(std::string& wire, const std::function<Status(std::string_view)>& each);

// Where a session runs: names and addresses for Cyrus, and how secure the channel already is.
struct SaslPeer {
    std::string service = "libvirt";
    std::string server_name;     // the server's FQDN (server: also the sasldb realm)
    std::string local_addr;      // "addr;port", empty for unix sockets
    std::string remote_addr;     // "addr;port", empty for unix sockets
    bool secure_channel = false; // TLS or unix: no minimum SSF
    unsigned external_ssf = 0;   // TLS key bits, 0 without TLS
};

// The server's side of one client connection's exchange.
class SaslServerSession {
public:
    // Needs sasl_server_setup() first.
    static Result<std::unique_ptr<SaslServerSession>> create(const SaslPeer& peer);
    ~SaslServerSession();
    SaslServerSession(const SaslServerSession&) = delete;
    SaslServerSession& operator=(const SaslServerSession&) = delete;

    // The mechanisms this connection may use, comma separated ("SCRAM-SHA-256,DIGEST-MD5").
    Result<std::string> mechlist();
    Result<SaslStep> start(std::string_view mech, std::optional<std::string> data);
    Result<SaslStep> step(std::optional<std::string> data);

    bool complete() const { return complete_; }
    // After completion: the authenticated user name, as Cyrus canonicalised it.
    std::string username() const;
    unsigned ssf() const;
    // After completion: the layer to switch on, or nullptr when the SSF is 0.
    std::unique_ptr<SecurityLayer> make_layer();

private:
    SaslServerSession(std::shared_ptr<SaslConn> conn, bool secure);
    Result<SaslStep> finish(int rc, const char* out, unsigned out_len);

    std::shared_ptr<SaslConn> conn_;
    bool secure_ = false;
    bool started_ = false;
    bool complete_ = false;
    bool decoy_ = false; // a SCRAM START for an unknown user was answered with a decoy
    bool failed_ = false;
    unsigned steps_ = 0;
};

// What the client's credentials callback is asked for.
enum class SaslCredKind { AuthName, Password };
using SaslCredentials =
    std::function<Result<std::string>(SaslCredKind kind, std::string_view prompt)>;

struct SaslClientStart {
    std::string mech;
    std::optional<std::string> data; // for AUTH_SASL_START (nullopt = nil)
    bool complete = false;
};

// The client's side of the exchange.
class SaslClientSession {
public:
    // Initialises the Cyrus client library once per process. `credentials` is asked for the
    // authentication name and the password (once each; the answers are kept for this session).
    static Result<std::unique_ptr<SaslClientSession>> create(const SaslPeer& peer,
                                                             SaslCredentials credentials);
    ~SaslClientSession();
    SaslClientSession(const SaslClientSession&) = delete;
    SaslClientSession& operator=(const SaslClientSession&) = delete;

    // Picks a mechanism from the server's list (comma or space separated), or `wanted_mech`
    // if the server offers it; empty `wanted_mech` lets Cyrus choose the strongest.
    Result<SaslClientStart> start(std::string_view server_mechlist, std::string_view wanted_mech);
    // Processes the server's data from a START/STEP reply; the result's data goes in the next
    // AUTH_SASL_STEP. The exchange is over when both this side and the server say complete.
    Result<SaslStep> step(std::optional<std::string> server_data);

    bool complete() const { return complete_; }
    unsigned ssf() const;
    std::unique_ptr<SecurityLayer> make_layer();

private:
    SaslClientSession(std::shared_ptr<SaslConn> conn, bool secure);
    Result<SaslStep> finish(int rc, const char* out, unsigned out_len);

    std::shared_ptr<SaslConn> conn_;
    bool secure_ = false;
    bool started_ = false;
    bool complete_ = false;
    bool failed_ = false;
    unsigned steps_ = 0;
};

} // namespace virtd::rpc
