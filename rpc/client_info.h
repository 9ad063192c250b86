// ClientInfo: who a connection is, as the transport knows it (socket, peer credentials, the
// verified certificate and SASL user). Calls carry it; the access policy decides from it.
#pragma once

#include <cstdint>
#include <string>

#include <sys/types.h>

namespace virtd::rpc {

// How a client reached the daemon.
enum class Transport { Unix, Tcp, Tls };

// Who a call came from, as the transport knows it. The access policy decides from these.
struct ClientInfo {
    uint64_t id = 0;
    Transport transport = Transport::Unix;
    bool readonly_socket = false;       // accepted on a read-only listener
    bool local = false;                 // accepted on a unix socket
    uid_t uid = static_cast<uid_t>(-1); // unix sockets: the peer's credentials (SO_PEERCRED)
    gid_t gid = static_cast<gid_t>(-1);
    pid_t pid = 0;
    std::string peer;      // "unix pid N uid M", or the TCP peer "address;port", for logs
    std::string x509_dn;   // TLS: the verified client certificate's subject DN
    std::string sasl_user; // SASL: the authenticated user name
    unsigned sasl_ssf = 0; // SASL: the security layer's strength (56 and up: encrypted)
};

} // namespace virtd::rpc
