// NetworkDef: a virtual network definition (libvirt's <network> document): a bridge, how it
// reaches the outside (NAT, routed, bridged, open, or isolated when <forward> is absent), its
// addresses with DHCP and DNS, and VLAN port groups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/enum_table.h"
#include "common/error.h"
#include "common/mac.h"
#include "common/uuid.h"
#include "conf/vlan.h"

namespace virtd::conf {

enum class ForwardMode { Nat, Route, Bridge, Open, Last = Open };
inline constexpr auto kForwardModes =
    make_enum_table<ForwardMode>("nat", "route", "bridge", "open");

enum class IpFamily { Ipv4, Ipv6, Last = Ipv6 };
inline constexpr auto kIpFamilies = make_enum_table<IpFamily>("ipv4", "ipv6");

struct NetworkForward {
    std::optional<ForwardMode> mode; // absent in the document means nat
    std::optional<std::string> dev;  // the host interface traffic leaves through
    std::optional<std::string> nat_address_start;
    std::optional<std::string> nat_address_end;
    std::optional<uint32_t> nat_port_start;
    std::optional<uint32_t> nat_port_end;

    ForwardMode effective_mode() const { return mode.value_or(ForwardMode::Nat); }
    bool operator==(const NetworkForward&) const = default;
};

struct NetworkBridge {
    std::optional<std::string> name; // at most 15 characters (IFNAMSIZ)
    std::optional<bool> stp;
    std::optional<uint32_t> delay; // seconds

    bool operator==(const NetworkBridge&) const = default;
};

struct DhcpRange {
    std::string start;
    std::string end;

    bool operator==(const DhcpRange&) const = default;
};

struct DhcpHost {
    std::optional<MacAddress> mac;
    std::optional<std::string> name;
    std::string ip;

    bool operator==(const DhcpHost&) const = default;
};

struct NetworkIp {
    std::optional<IpFamily> family;
    std::string address;
    std::optional<uint32_t> prefix;
    std::optional<std::string> netmask; // IPv4 only; exclusive with prefix
    bool dhcp = false;                  // a <dhcp> element was given
    std::vector<DhcpRange> ranges;
    std::vector<DhcpHost> hosts;

    bool operator==(const NetworkIp&) const = default;
};

struct DnsHost {
    std::string ip;
    std::vector<std::string> hostnames;

    bool operator==(const DnsHost&) const = default;
};

struct NetworkDns {
    std::optional<bool> enable;
    std::vector<std::string> forwarders; // addresses
    std::vector<DnsHost> hosts;

    bool operator==(const NetworkDns&) const = default;
};

struct NetworkDomain {
    std::string name;
    std::optional<bool> local_only;

    bool operator==(const NetworkDomain&) const = default;
};

struct PortGroup {
    std::string name;
    std::optional<bool> is_default;
    std::optional<VlanDef> vlan;

    bool operator==(const PortGroup&) const = default;
};

struct NetworkDef {
    std::string name;
    Uuid uuid; // null if the document gave none
    std::optional<NetworkForward> forward;
    std::optional<NetworkBridge> bridge;
    std::optional<uint32_t> mtu;
    std::optional<MacAddress> mac;
    std::optional<NetworkDomain> domain;
    std::optional<NetworkDns> dns;
    std::optional<VlanDef> vlan;
    std::vector<PortGroup> portgroups;
    std::vector<NetworkIp> ips;

    bool operator==(const NetworkDef&) const = default;

    // Parses and validates a <network> document; the error lists every problem with its line.
    static Result<NetworkDef> parse(std::string_view xml);
    // The document as libvirt writes it; parse(format()) gives back an equal object.
    std::string format() const;
};

} // namespace virtd::conf
