#include "client/network.h"

#include "client/connection.h"

namespace virtd::client {

Status Network::create() {
    if (Status s = conn_->require_writable("virNetworkCreate"); !s) return s;
    return conn_->remote().network_create({ref_});
}

Status Network::destroy() {
    if (Status s = conn_->require_writable("virNetworkDestroy"); !s) return s;
    return conn_->remote().network_destroy({ref_});
}

Status Network::undefine() {
    if (Status s = conn_->require_writable("virNetworkUndefine"); !s) return s;
    return conn_->remote().network_undefine({ref_});
}

Result<std::string> Network::xml_desc(unsigned flags) {
    auto r = conn_->remote().network_get_xml_desc({ref_, flags});
    if (!r) return r.error();
    return r->xml;
}

Result<bool> Network::autostart() {
    auto r = conn_->remote().network_get_autostart({ref_});
    if (!r) return r.error();
    return r->autostart != 0;
}

Status Network::set_autostart(bool on) {
    if (Status s = conn_->require_writable("virNetworkSetAutostart"); !s) return s;
    return conn_->remote().network_set_autostart({ref_, on ? 1 : 0});
}

Result<bool> Network::is_active() {
    auto r = conn_->remote().network_is_active({ref_});
    if (!r) return r.error();
    return r->active != 0;
}

Result<bool> Network::is_persistent() {
    auto r = conn_->remote().network_is_persistent({ref_});
    if (!r) return r.error();
    return r->persistent != 0;
}

Result<std::string> Network::bridge_name() {
    auto r = conn_->remote().network_get_bridge_name({ref_});
    if (!r) return r.error();
    return r->name;
}

Result<std::vector<DhcpLease>> Network::dhcp_leases(const std::string& mac) {
    std::optional<std::string> filter;
    if (!mac.empty()) filter = mac;
    auto r = conn_->remote().network_get_dhcp_leases({ref_, filter, 1, 0});
    if (!r) return r.error();
    return r->leases;
}

} // namespace virtd::client
