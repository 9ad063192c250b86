// Network: a handle on one virtual network of a Connection (name and UUID). Cheap to copy; the
// Connection must outlive it.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/uuid.h"
#include "rpc/remote_protocol.h"

namespace virtd::client {

class Connection;

// One DHCP lease as the daemon reports it (expiry in seconds since the epoch).
using DhcpLease = rpc::NetworkDhcpLease;

class Network {
public:
    Network(Connection& conn, rpc::NonnullNetwork ref)
        : conn_(&conn)
        , ref_(std::move(ref)) {}

    const std::string& name() const { return ref_.name; }
    Uuid uuid() const { return Uuid(ref_.uuid); }
    const rpc::NonnullNetwork& ref() const { return ref_; }

    Status create(); // start
    Status destroy();
    Status undefine();
    Result<std::string> xml_desc(unsigned flags = 0);
    Result<bool> autostart();
    Status set_autostart(bool on);
    Result<bool> is_active();
    Result<bool> is_persistent();
    Result<std::string> bridge_name();
    // All leases, or only those of `mac` when it is not empty.
    Result<std::vector<DhcpLease>> dhcp_leases(const std::string& mac = "");

private:
    Connection* conn_;
    rpc::NonnullNetwork ref_;
};

} // namespace virtd::client
