#include "client/sasl_auth.h"

#include <optional>

#include "client/auth_file.h"
#include "rpc/sasl.h"

namespace virtd::client {
namespace {

std::optional<std::string> from_wire(int32_t nil, std::string data) {
    if (nil) return std::nullopt;
    return data;
}

} // namespace

Status authenticate_sasl(rpc::RemoteClient& remote, rpc::RpcClient& transport,
                         const SaslAuthOptions& options) {
    std::optional<AuthFile> file;
    std::string file_path = options.authfile.empty() ? AuthFile::default_path() : options.authfile;
    if (!file_path.empty()) {
        Result<AuthFile> loaded = AuthFile::load(file_path);
        if (!loaded) return loaded.error();
        file = std::move(*loaded);
    }
    rpc::SaslCredentials credentials = [&](rpc::SaslCredKind kind,
                                           std::string_view prompt) -> Result<std::string> {
        bool name = kind == rpc::SaslCredKind::AuthName;
        if (name && !options.user.empty()) return options.user;
        if (file) {
            std::optional<std::string> v =
                file->lookup("libvirt", options.host, name ? "authname" : "password");
            if (!v && name) v = file->lookup("libvirt", options.host, "username");
            if (v) return *v;
        }
        if (options.prompt)
            return options.prompt(name ? CredentialKind::AuthName : CredentialKind::Password,
                                  prompt);
        return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                          "authentication failed: the server wants a SASL {} and there is no "
                          "way to ask for it (add authfile=FILE to the URI, or run interactively)",
                          name ? "user name" : "password");
    };

    Result<rpc::AuthSaslInitRet> init = remote.auth_sasl_init();
    if (!init) return init.error();
    rpc::SaslPeer peer;
    peer.server_name = options.host;
    peer.secure_channel = options.unix_socket || transport.is_tls();
    peer.external_ssf = transport.tls_key_bits();
    Result<std::unique_ptr<rpc::SaslClientSession>> session =
        rpc::SaslClientSession::create(peer, credentials);
    if (!session) return session.error();
    rpc::SaslClientSession& sasl = **session;

    Result<rpc::SaslClientStart> start = sasl.start(init->mechlist, options.mechanism);
    if (!start) return start.error();
    Result<rpc::AuthSaslStartRet> reply = remote.auth_sasl_start(
        {start->mech, start->data ? 0 : 1, start->data.value_or(std::string())});
    if (!reply) return reply.error();
    bool server_done = reply->complete != 0;
    std::optional<std::string> server_data = from_wire(reply->nil, std::move(reply->data));
    bool client_done = start->complete;
    // Each round: the client digests the server's data, then both are done or it answers.
    for (unsigned round = 0; !(server_done && client_done); ++round) {
        if (round >= rpc::kSaslMaxSteps)
            return make_error(ErrorCode::AuthFailed, ErrorDomain::Auth,
                              "authentication failed: the SASL exchange did not finish in {} "
                              "steps",
                              rpc::kSaslMaxSteps);
        Result<rpc::SaslStep> step = sasl.step(std::move(server_data));
        if (!step) return step.error();
        client_done = step->complete;
        if (server_done && client_done) break;
        Result<rpc::AuthSaslStepRet> next =
            remote.auth_sasl_step({step->data ? 0 : 1, step->data.value_or(std::string())});
        if (!next) return next.error();
        server_done = next->complete != 0;
        server_data = from_wire(next->nil, std::move(next->data));
    }
    if (std::unique_ptr<rpc::SecurityLayer> layer = sasl.make_layer())
        transport.push_layer(std::move(layer));
    return {};
}

} // namespace virtd::client
