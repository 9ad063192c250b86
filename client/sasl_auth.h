// The client's side of SASL authentication, run during Connection::open when the daemon's
// AUTH_LIST says SASL: AUTH_SASL_INIT for the mechanisms, START and STEPs until both sides are
// done, then the security layer (if the mechanism has one) wraps the transport from the next
// byte on. Credentials come from, in order: the URI's user name, the auth file (authfile= or
// libvirt's default places), the application's prompt.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "rpc/client.h"
#include "rpc/remote_protocol.h"

namespace virtd::client {

// What the user is asked for when nothing else has the answer.
enum class CredentialKind { AuthName, Password };
// Asks the user; an error (or no prompt at all) ends the authentication with that error.
using CredentialPrompt = std::function<Result<std::string>(CredentialKind, std::string_view)>;

struct SaslAuthOptions {
    std::string host;      // the server's name as dialled ("localhost" for unix sockets)
    std::string user;      // USER@ from the URI, empty if none
    std::string authfile;  // authfile= from the URI, empty for the default places
    std::string mechanism; // from auth=sasl.MECH, empty to let SASL choose
    bool unix_socket = false;
    CredentialPrompt prompt; // may be empty
};

Status authenticate_sasl(rpc::RemoteClient& remote, rpc::RpcClient& transport,
                         const SaslAuthOptions& options);

} // namespace virtd::client
