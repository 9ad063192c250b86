// AuthFile: libvirt's client credentials file (auth.conf), so a script authenticates with SASL
// without a prompt. An INI file: a section [auth-libvirt-HOST] (or [auth-libvirt-default])
// names a credentials set with `credentials=NAME`, and [credentials-NAME] holds `authname=`,
// `username=` and `password=`. '#' and ';' start comments.
//
//     [credentials-ops]
//     authname=ops
//     password=secret
//
//     [auth-libvirt-db1.example.com]
//     credentials=ops
//
// Thread safety: immutable once loaded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::client {

class AuthFile {
public:
    static Result<AuthFile> parse(std::string_view text, std::string_view name);
    static Result<AuthFile> load(const std::string& path);
    // The file a URI without authfile= uses: $LIBVIRT_AUTH_FILE, ~/.config/libvirt/auth.conf,
    // then /etc/libvirt/auth.conf; empty when none exists.
    static std::string default_path();

    // The value of `key` ("authname", "username", "password") for `service` on `host`, falling
    // back to the service's default section.
    std::optional<std::string> lookup(std::string_view service, std::string_view host,
                                      std::string_view key) const;

private:
    std::map<std::string, std::map<std::string, std::string>, std::less<>> sections_;
};

} // namespace virtd::client
