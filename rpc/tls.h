// TLS for libvirt's remote transport (GnuTLS, x509): the credentials a daemon or client loads,
// the start-up check that names the wrong file and the fix, and TlsSession, the SecurityLayer
// that runs a handshake and then carries records, all on buffers (the caller owns the socket).
//
// libvirt's conventions kept here: the server asks for a client certificate and, by default,
// refuses a connection without a valid one; after its checks pass it sends one byte 0x01 inside
// TLS before any RPC; the client checks the server certificate against the host name it dialled
// unless told not to (no_verify=1); files default to /etc/pki (system) or ~/.pki/libvirt.
//
// Thread safety: TlsCredentials is immutable once loaded and may be shared. A TlsSession is used
// by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "rpc/security_layer.h"

namespace virtd::rpc {

// Where a side's files are. Empty crl_file: no CRL.
struct TlsFiles {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    std::string crl_file;
};

// libvirt's default paths: the system layout (root) or the per-user one (~/.pki/libvirt).
TlsFiles default_server_tls_files();
TlsFiles default_client_tls_files();
// The files of a pkipath=DIR URI parameter: DIR/cacert.pem, clientcert.pem, clientkey.pem
// (and cacrl.pem when present).
TlsFiles client_tls_files_in(const std::string& dir);

struct TlsServerOptions {
    TlsFiles files = default_server_tls_files();
    std::string priority = "NORMAL";     // a GnuTLS priority string
    bool verify_client = true;           // false: a client certificate is not required
    std::vector<std::string> allowed_dn; // glob patterns (fnmatch); empty: any verified DN
    bool check_files = true;             // false: skip check_tls_files (tls_no_sanity_certificate)
};

struct TlsClientOptions {
    TlsFiles files = default_client_tls_files();
    std::string priority = "NORMAL";
    bool verify_server = true; // false for no_verify=1
    std::string host;          // the name or address dialled: the certificate must match it
};

enum class TlsRole { Server, Client };

// Checks one side's certificate files the way the daemon does at start: each file readable and
// PEM, the certificate within its validity period, signed by the CA, matching the key, and with
// the key usages TLS needs for `role`. The error names the file, what is wrong and the command
// that fixes it.
Status check_tls_files(const TlsFiles& files, TlsRole role);

class TlsCredentials;

// One connection's TLS state. Feed handshake() the bytes read until it says done, sending
// take_pending() after each call; then encode()/decode() carry RPC bytes.
class TlsSession : public SecurityLayer {
public:
    ~TlsSession() override;
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    // Consumes bytes of `wire`; true once the handshake has finished.
    Result<bool> handshake(std::string& wire);
    // After the handshake: verifies the peer (server: the client's certificate, CA, validity,
    // CRL and the allowed DN list; client: the server's certificate and host name). Sets
    // peer_dn(). The error says why, for the log (server) or the user (client).
    Status verify_peer();
    const std::string& peer_dn() const { return peer_dn_; }
    struct Impl; // GnuTLS state, in tls.cc
    // The negotiated cipher's key size in bits (SASL's external SSF).
    unsigned key_bits() const;

    Status encode(std::string_view plain, std::string& wire) override;
    Status decode(std::string& wire, std::string& plain) override;
    void take_pending(std::string& wire) override;

private:
    friend class TlsCredentials;
    explicit TlsSession(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    std::string peer_dn_;
};

// Loaded certificates for one side; makes sessions. Load again (and swap) to reload.
class TlsCredentials : public std::enable_shared_from_this<TlsCredentials> {
public:
    struct Impl; // GnuTLS state, in tls.cc
    static Result<std::shared_ptr<TlsCredentials>> load_server(const TlsServerOptions& options);
    static Result<std::shared_ptr<TlsCredentials>> load_client(const TlsClientOptions& options);
    ~TlsCredentials();
    TlsCredentials(const TlsCredentials&) = delete;
    TlsCredentials& operator=(const TlsCredentials&) = delete;

    Result<std::unique_ptr<TlsSession>> new_session() const;

private:
    explicit TlsCredentials(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace virtd::rpc
