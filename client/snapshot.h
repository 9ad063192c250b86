// DomainSnapshot: a handle on one snapshot of a domain (its name and the domain). Cheap to copy;
// the Connection must outlive it.
#pragma once

#include <string>

#include "common/error.h"
#include "rpc/remote_protocol.h"

namespace virtd::client {

class Connection;

class DomainSnapshot {
public:
    DomainSnapshot(Connection& conn, rpc::NonnullDomainSnapshot ref)
        : conn_(&conn)
        , ref_(std::move(ref)) {}

    const std::string& name() const { return ref_.name; }
    const rpc::NonnullDomainSnapshot& ref() const { return ref_; }

    Result<std::string> xml_desc(unsigned flags = 0);
    // flags: libvirt's virDomainSnapshotRevertFlags (RUNNING 1, PAUSED 2, FORCE 4).
    Status revert(unsigned flags = 0);
    // flags: libvirt's virDomainSnapshotDeleteFlags (CHILDREN 1, METADATA_ONLY 2, ...).
    Status remove(unsigned flags = 0);

private:
    Connection* conn_;
    rpc::NonnullDomainSnapshot ref_;
};

} // namespace virtd::client
