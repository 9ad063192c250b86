// DaemonConfig: virtd.conf, in libvirtd.conf's syntax: `key = value` lines, values are integers,
// "strings" or ["lists", "of strings"], '#' starts a comment. Unknown keys and bad values are
// errors naming the file, the line and the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace virtd {

struct DaemonConfig {
    bool listen_tcp = false;
    std::string tcp_port = "16509";
    std::string listen_addr = "127.0.0.1";
    std::string unix_sock_dir; // empty: the run dir
    std::string unix_sock_group;
    uint32_t unix_sock_ro_perms = 0777;
    uint32_t unix_sock_rw_perms = 0700;
    uint32_t max_clients = 5000;
    uint32_t max_workers = 4;
    uint32_t max_client_requests = 20;
    int32_t keepalive_interval = 5; // seconds; -1 turns keepalive off
    uint32_t keepalive_count = 5;
    uint32_t log_level = 3; // 1 debug .. 4 error
    std::string log_filters;
    std::string log_outputs;

    // Remote access (libvirtd.conf's names and defaults, except where noted).
    bool listen_tls = false;
    std::string tls_port = "16514";
    std::string auth_unix_rw = "none"; // "none" | "sasl"
    std::string auth_unix_ro = "none";
    std::string auth_tcp = "sasl";
    std::string auth_tls = "none"; // the client certificate is the credential
    std::string ca_file = "/etc/pki/CA/cacert.pem";
    std::string cert_file = "/etc/pki/libvirt/servercert.pem";
    std::string key_file = "/etc/pki/libvirt/private/serverkey.pem";
    std::string crl_file;                         // empty: no CRL
    bool tls_no_verify_certificate = false;       // true: clients need no certificate
    bool tls_no_sanity_certificate = false;       // true: skip the start-up certificate check
    std::vector<std::string> tls_allowed_dn_list; // globs; empty: any verified client
    std::string tls_priority = "NORMAL";
    std::vector<std::string> sasl_allowed_username_list; // globs; empty: any SASL user
    std::string sasl_config_dir; // holds virtd.conf for Cyrus SASL; empty: /etc/sasl2
    uint32_t max_anonymous_clients = 20;
    std::string access_rules_file; // empty: no rules (remote clients that authenticate may do all)
    // What stopping the daemon (SIGTERM/SIGINT: host shutdown) does to kvm guests: "keep" them
    // running (a restarted daemon re-attaches), or "managedsave" each persistent one; those are
    // started again (from their images) when the daemon starts, as libvirt-guests does.
    std::string guests_on_shutdown = "keep";

    // Parses `text` (`name` is used in messages), starting from the defaults above.
    static Result<DaemonConfig> parse(std::string_view text, std::string_view name);
    static Result<DaemonConfig> load(const std::string& path);
};

} // namespace virtd
