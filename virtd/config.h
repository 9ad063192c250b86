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

    // Parses `text` (`name` is used in messages), starting from the defaults above.
    static Result<DaemonConfig> parse(std::string_view text, std::string_view name);
    static Result<DaemonConfig> load(const std::string& path);
};

} // namespace virtd
