// ConnectUri: what a connection URI such as "mock+unix:///default?socket=/x" or
// "mock+tcp://host:16509/default" asks for: the transport and where it goes, and the driver URI
// the daemon is given in CONNECT_OPEN (the URI without transport, host, port and client-only
// parameters, as libvirt's remote driver sends it).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::client {

enum class Transport { Unix, Tcp, Tls };

struct ConnectUri {
    Transport transport = Transport::Unix;
    std::string socket_path; // Unix
    std::string host;        // Tcp, Tls
    std::string port;        // Tcp, Tls; "16509" (tcp) or "16514" (tls) unless the URI names one
    std::string name;        // sent in CONNECT_OPEN: "mock:///default"
    std::string user;        // USER@ in the authority: the SASL user name to offer
    // Client-only parameters, as libvirt's remote driver reads them.
    std::string pkipath;      // TLS: a directory with cacert.pem, clientcert.pem, clientkey.pem
    bool no_verify = false;   // TLS: do not check the server's certificate
    std::string tls_priority; // TLS: a GnuTLS priority string
    std::string authfile;     // SASL: credentials in libvirt's auth.conf format
    std::string auth;         // "sasl" or "sasl.MECH": the mechanism to use

    // `default_socket` is used when a unix URI names no socket (?socket=PATH wins).
    static Result<ConnectUri> parse(std::string_view uri, const std::string& default_socket);
};

// The unix socket a URI without ?socket= uses: $VIRTD_SOCK, else /run/virtd/virtd-sock; the
// read-only twin ("-ro" appended) for read-only connections.
std::string default_socket_path(bool readonly);

} // namespace virtd::client
