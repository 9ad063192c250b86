// NetworkDriver: what a network driver offers the daemon for virtual networks. The front doors
// call this one interface; the mock driver (drivers/mock) implements it in memory, network/ will
// implement it with bridges, nftables and dnsmasq.
//
// Thread safety: implementations are called from many worker threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/uuid.h"
#include "drivers/object_list.h"

namespace virtd {

struct NetworkRef {
    std::string name;
    Uuid uuid;

    bool operator==(const NetworkRef&) const = default;
};

// One DHCP lease, as virNetworkDHCPLease has it.
struct DhcpLease {
    std::string iface;
    int64_t expiry_time = 0; // seconds since the epoch
    int32_t type = 0;        // 0 IPv4, 1 IPv6
    std::optional<std::string> mac;
    std::optional<std::string> iaid;
    std::string ip;
    uint32_t prefix = 0;
    std::optional<std::string> hostname;
    std::optional<std::string> client_id;
};

class NetworkDriver {
public:
    virtual ~NetworkDriver() = default;

    virtual Result<NetworkRef> define_xml(std::string_view xml) = 0;
    virtual Result<NetworkRef> create_xml(std::string_view xml) = 0;
    virtual Status undefine(const NetworkRef& net) = 0;
    virtual Status start(const NetworkRef& net) = 0;
    virtual Status destroy(const NetworkRef& net) = 0;
    // Flags: object_list::k*.
    virtual Result<std::vector<NetworkRef>> list_all(unsigned flags) = 0;
    virtual Result<NetworkRef> lookup_by_name(std::string_view name) = 0;
    virtual Result<NetworkRef> lookup_by_uuid(const Uuid& uuid) = 0;
    virtual Result<std::string> get_xml(const NetworkRef& net, unsigned flags) = 0;
    virtual Result<bool> is_active(const NetworkRef& net) = 0;
    virtual Result<bool> is_persistent(const NetworkRef& net) = 0;
    virtual Result<bool> get_autostart(const NetworkRef& net) = 0;
    virtual Status set_autostart(const NetworkRef& net, bool autostart) = 0;
    virtual Result<std::string> get_bridge_name(const NetworkRef& net) = 0;
    // `mac` set: only that client's leases.
    virtual Result<std::vector<DhcpLease>> dhcp_leases(const NetworkRef& net,
                                                       const std::optional<std::string>& mac) = 0;
};

} // namespace virtd
