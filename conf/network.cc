// <network>: reading and writing side by side; the schema is schemas/network.rng.
#include "conf/network.h"

#include <set>

#include "conf/document.h"
#include "conf/ip_address.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

constexpr DocumentKind kKind{"network", "network.rng", ErrorDomain::Network};

// An address attribute: reports a malformed one and returns it parsed.
std::optional<IpAddress> read_ip_attr(const XmlElement& e, const char* name, std::string* out) {
    std::optional<std::string> text = e.required_attr(name);
    if (!text) return std::nullopt;
    *out = *text;
    std::optional<IpAddress> ip = IpAddress::parse(*text);
    if (!ip) e.error(fmt::format("attribute '{}': invalid IP address '{}'", name, *text));
    return ip;
}

NetworkForward read_forward(const XmlElement& e) {
    NetworkForward f;
    f.mode = e.attr_enum("mode", kForwardModes);
    f.dev = e.attr("dev");
    if (f.dev && !is_interface_name(*f.dev))
        e.error(fmt::format("attribute 'dev': invalid interface name '{}'", *f.dev));
    XmlElement nat = e.child("nat");
    if (!nat) return f;
    if (f.effective_mode() != ForwardMode::Nat) nat.error("<nat> needs forward mode 'nat'");
    if (XmlElement addr = nat.child("address")) {
        std::string start, end;
        auto a = read_ip_attr(addr, "start", &start);
        auto b = read_ip_attr(addr, "end", &end);
        f.nat_address_start = start;
        f.nat_address_end = end;
        if (a && b && (a->v6 || b->v6))
            addr.error("NAT addresses must be IPv4");
        else if (a && b && !(*a <= *b))
            addr.error(fmt::format("start {} is after end {}", start, end));
    }
    if (XmlElement port = nat.child("port")) {
        auto start = port.required_uint("start", 1, 65535);
        auto end = port.required_uint("end", 1, 65535);
        f.nat_port_start = start ? std::optional<uint32_t>(*start) : std::nullopt;
        f.nat_port_end = end ? std::optional<uint32_t>(*end) : std::nullopt;
        if (start && end && *start > *end)
            port.error(fmt::format("port range start {} is after end {}", *start, *end));
    }
    return f;
}

NetworkBridge read_bridge(const XmlElement& e) {
    NetworkBridge b;
    b.name = e.attr("name");
    if (b.name && !is_interface_name(*b.name))
        e.error(fmt::format("attribute 'name': invalid bridge name '{}' (1 to 15 letters, digits "
                            "and _ . -)",
                            *b.name));
    b.stp = e.attr_on_off("stp");
    if (auto delay = e.attr_uint("delay", 0, 3600)) b.delay = static_cast<uint32_t>(*delay);
    return b;
}

void read_dhcp(const XmlElement& dhcp, const std::optional<IpAddress>& net, unsigned prefix,
               NetworkIp& ip) {
    auto inside = [&](const XmlElement& e, const std::optional<IpAddress>& a, const char* attr,
                      const std::string& text) {
        if (net && a && !net->same_subnet(*a, prefix))
            e.error(fmt::format("attribute '{}': {} is outside the network {}/{}", attr, text,
                                ip.address, prefix));
    };
    for (const XmlElement& r : dhcp.children("range")) {
        DhcpRange range;
        auto a = read_ip_attr(r, "start", &range.start);
        auto b = read_ip_attr(r, "end", &range.end);
        inside(r, a, "start", range.start);
        inside(r, b, "end", range.end);
        if (a && b && a->v6 == b->v6 && !(*a <= *b))
            r.error(fmt::format("range start {} is after end {}", range.start, range.end));
        ip.ranges.push_back(range);
    }
    std::set<MacAddress> macs;
    for (const XmlElement& h : dhcp.children("host")) {
        DhcpHost host;
        if (std::optional<std::string> mac = h.attr("mac")) {
            Result<MacAddress> m = MacAddress::parse(*mac);
            if (!m) {
                h.error(fmt::format("attribute 'mac': {}", m.error().message()));
            } else if (m->is_multicast()) {
                h.error(fmt::format("attribute 'mac': expected a unicast address, got '{}'", *mac));
            } else {
                host.mac = *m;
                if (!macs.insert(*m).second)
                    h.error(fmt::format("MAC address '{}' has more than one host entry", *mac));
            }
        }
        host.name = h.attr("name");
        if (!host.mac && !host.name) h.error("a host needs a 'mac' or a 'name'");
        auto a = read_ip_attr(h, "ip", &host.ip);
        inside(h, a, "ip", host.ip);
        ip.hosts.push_back(host);
    }
}

NetworkIp read_ip(const XmlElement& e) {
    NetworkIp ip;
    ip.family = e.attr_enum("family", kIpFamilies);
    std::optional<IpAddress> addr = read_ip_attr(e, "address", &ip.address);
    bool v6 = addr ? addr->v6 : ip.family == IpFamily::Ipv6;
    if (addr && ip.family && (*ip.family == IpFamily::Ipv6) != addr->v6)
        e.error(fmt::format("address {} is not {}", ip.address, kIpFamilies.name(*ip.family)));
    unsigned prefix = v6 ? 64 : 24;
    if (e.has_attr("prefix")) {
        if (auto p = e.attr_uint("prefix", 0, v6 ? 128 : 32)) {
            ip.prefix = static_cast<uint32_t>(*p);
            prefix = *ip.prefix;
        }
    }
    ip.netmask = e.attr("netmask");
    if (ip.netmask) {
        std::optional<IpAddress> mask = IpAddress::parse(*ip.netmask);
        std::optional<unsigned> bits = mask ? mask->netmask_prefix() : std::nullopt;
        if (v6)
            e.error("netmask is for IPv4; use prefix for IPv6");
        else if (!bits)
            e.error(
                fmt::format("attribute 'netmask': '{}' is not a contiguous netmask", *ip.netmask));
        else
            prefix = *bits;
        if (ip.prefix) e.error("give either prefix or netmask, not both");
    }
    if (XmlElement dhcp = e.child("dhcp")) {
        ip.dhcp = true;
        read_dhcp(dhcp, addr, prefix, ip);
    }
    return ip;
}

NetworkDns read_dns(const XmlElement& e) {
    NetworkDns dns;
    dns.enable = e.attr_yes_no("enable");
    for (const XmlElement& f : e.children("forwarder")) {
        std::string addr;
        read_ip_attr(f, "addr", &addr);
        dns.forwarders.push_back(addr);
    }
    for (const XmlElement& h : e.children("host")) {
        DnsHost host;
        read_ip_attr(h, "ip", &host.ip);
        for (const XmlElement& name : h.children("hostname")) {
            std::optional<std::string> t = name.required_text();
            if (t) host.hostnames.push_back(*t);
        }
        if (host.hostnames.empty()) h.error("needs at least one <hostname>");
        dns.hosts.push_back(host);
    }
    return dns;
}

void read_portgroups(const XmlElement& root, NetworkDef& n) {
    std::set<std::string> names;
    bool have_default = false;
    for (const XmlElement& e : root.children("portgroup")) {
        PortGroup pg;
        pg.name = e.required_attr("name").value_or("");
        if (e.has_attr("name") && !names.insert(pg.name).second)
            e.error(fmt::format("portgroup '{}' is defined more than once", pg.name));
        pg.is_default = e.attr_yes_no("default");
        if (pg.is_default == true) {
            if (have_default) e.error("only one portgroup may be the default");
            have_default = true;
        }
        if (XmlElement vlan = e.child("vlan")) pg.vlan = VlanDef::read(vlan);
        n.portgroups.push_back(pg);
    }
}

NetworkDef read_network(const XmlElement& root) {
    NetworkDef n;
    n.name = read_object_name(root);
    n.uuid = read_object_uuid(root);
    XmlElement forward = root.child("forward");
    if (forward) n.forward = read_forward(forward);
    if (XmlElement bridge = root.child("bridge")) n.bridge = read_bridge(bridge);
    if (XmlElement mtu = root.child("mtu")) {
        if (auto size = mtu.required_uint("size", 68, 65535)) n.mtu = static_cast<uint32_t>(*size);
    }
    if (XmlElement mac = root.child("mac")) {
        if (std::optional<std::string> text = mac.required_attr("address")) {
            Result<MacAddress> m = MacAddress::parse(*text);
            if (!m)
                mac.error(m.error().message());
            else if (m->is_multicast())
                mac.error(fmt::format("expected a unicast address, got '{}'", *text));
            else
                n.mac = *m;
        }
    }
    if (XmlElement domain = root.child("domain")) {
        n.domain = NetworkDomain{domain.required_attr("name").value_or(""),
                                 domain.attr_yes_no("localOnly")};
        if (domain.has_attr("name") && n.domain->name.empty())
            domain.error("attribute 'name': must not be empty");
    }
    if (XmlElement dns = root.child("dns")) n.dns = read_dns(dns);
    if (XmlElement vlan = root.child("vlan")) n.vlan = VlanDef::read(vlan);
    read_portgroups(root, n);
    for (const XmlElement& ip : root.children("ip"))
        n.ips.push_back(read_ip(ip));

    // A network bridged onto a host bridge or device has no addresses or DHCP of its own.
    if (n.forward && n.forward->effective_mode() == ForwardMode::Bridge) {
        if (!n.ips.empty()) forward.error("a network with forward mode 'bridge' cannot have <ip>");
        if (!(n.bridge && n.bridge->name) && !n.forward->dev)
            forward.error("forward mode 'bridge' needs <bridge name='...'/> or a forward dev");
    }
    int dhcp4 = 0;
    for (const NetworkIp& ip : n.ips) {
        bool v6 = ip.family == IpFamily::Ipv6 || ip.address.find(':') != std::string::npos;
        if (ip.dhcp && !v6) dhcp4++;
    }
    if (dhcp4 > 1) root.error("only one IPv4 address may have <dhcp>");
    return n;
}

void write_forward(pugi::xml_node root, const NetworkForward& f) {
    pugi::xml_node n = root.append_child("forward");
    if (f.mode) set_attr(n, "mode", kForwardModes.name(*f.mode));
    set_attr(n, "dev", f.dev);
    if (!f.nat_address_start && !f.nat_port_start && !f.nat_port_end) return;
    pugi::xml_node nat = n.append_child("nat");
    if (f.nat_address_start) {
        pugi::xml_node a = nat.append_child("address");
        set_attr(a, "start", *f.nat_address_start);
        set_attr(a, "end", f.nat_address_end.value_or(""));
    }
    if (f.nat_port_start || f.nat_port_end) {
        pugi::xml_node p = nat.append_child("port");
        set_attr(p, "start", f.nat_port_start);
        set_attr(p, "end", f.nat_port_end);
    }
}

void write_ip(pugi::xml_node root, const NetworkIp& ip) {
    pugi::xml_node n = root.append_child("ip");
    if (ip.family) set_attr(n, "family", kIpFamilies.name(*ip.family));
    set_attr(n, "address", ip.address);
    set_attr(n, "prefix", ip.prefix);
    set_attr(n, "netmask", ip.netmask);
    if (!ip.dhcp) return;
    pugi::xml_node dhcp = n.append_child("dhcp");
    for (const DhcpRange& r : ip.ranges) {
        pugi::xml_node e = dhcp.append_child("range");
        set_attr(e, "start", r.start);
        set_attr(e, "end", r.end);
    }
    for (const DhcpHost& h : ip.hosts) {
        pugi::xml_node e = dhcp.append_child("host");
        if (h.mac) set_attr(e, "mac", h.mac->format());
        set_attr(e, "name", h.name);
        set_attr(e, "ip", h.ip);
    }
}

void write_dns(pugi::xml_node root, const NetworkDns& dns) {
    pugi::xml_node n = root.append_child("dns");
    set_yes_no(n, "enable", dns.enable);
    for (const std::string& f : dns.forwarders)
        set_attr(n.append_child("forwarder"), "addr", f);
    for (const DnsHost& h : dns.hosts) {
        pugi::xml_node e = n.append_child("host");
        set_attr(e, "ip", h.ip);
        for (const std::string& name : h.hostnames)
            add_text(e, "hostname", name);
    }
}

} // namespace

Result<NetworkDef> NetworkDef::parse(std::string_view xml) {
    return parse_document<NetworkDef>(xml, kKind, read_network);
}

std::string NetworkDef::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("network");
    add_text(root, "name", name);
    if (!uuid.is_null()) add_text(root, "uuid", uuid.format());
    if (forward) write_forward(root, *forward);
    if (bridge) {
        pugi::xml_node b = root.append_child("bridge");
        set_attr(b, "name", bridge->name);
        set_on_off(b, "stp", bridge->stp);
        set_attr(b, "delay", bridge->delay);
    }
    if (mtu) set_attr(root.append_child("mtu"), "size", *mtu);
    if (mac) set_attr(root.append_child("mac"), "address", mac->format());
    if (domain) {
        pugi::xml_node d = root.append_child("domain");
        set_attr(d, "name", domain->name);
        set_yes_no(d, "localOnly", domain->local_only);
    }
    if (dns) write_dns(root, *dns);
    if (vlan) vlan->write(root);
    for (const PortGroup& pg : portgroups) {
        pugi::xml_node p = root.append_child("portgroup");
        set_attr(p, "name", pg.name);
        set_yes_no(p, "default", pg.is_default);
        if (pg.vlan) pg.vlan->write(p);
    }
    for (const NetworkIp& ip : ips)
        write_ip(root, ip);
    return format_xml(doc);
}

} // namespace virtd::conf
