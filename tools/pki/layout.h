// Where virtd-pki puts its files, and writing them safely.
//
// Two layouts: flat (everything in one directory, which is what a libvirt client accepts as
// ?pkipath=DIR and what a server can point ca_file/cert_file/key_file at) and system (libvirt's
// default paths under /etc/pki, found without any configuration).
#pragma once

#include <string>

#include "common/error.h"
#include "tools/pki/pki.h"

namespace virtd::pki {

enum class Kind { Ca, Server, Client };

// The certificate and key file of one credential.
struct Paths {
    std::string cert;
    std::string key;
};

// DIR/cacert.pem + DIR/cakey.pem, DIR/servercert.pem + DIR/serverkey.pem, DIR/clientcert.pem +
// DIR/clientkey.pem.
Paths flat_paths(const std::string& dir, Kind kind);

// /etc/pki/CA/cacert.pem + /etc/pki/CA/private/cakey.pem, /etc/pki/libvirt/servercert.pem +
// /etc/pki/libvirt/private/serverkey.pem, /etc/pki/libvirt/clientcert.pem +
// /etc/pki/libvirt/private/clientkey.pem. `root` prefixes every path (tests use a temp dir).
Paths system_paths(Kind kind, const std::string& root = "");

// Writes the key (mode 0600, its directory created 0700 when missing) and then the certificate
// (0644), each atomically. Unless `force`, fails before writing anything when either file
// exists, naming the file and the way out.
Status write_credential(const Paths& paths, const Credential& credential, bool force);

// Reads the CA's credential back to sign with; a missing file is reported with the command that
// makes it ('virtd-pki ca').
Result<Credential> load_ca(const Paths& paths);

} // namespace virtd::pki
