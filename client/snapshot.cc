#include "client/snapshot.h"

#include "client/connection.h"

namespace virtd::client {

Result<std::string> DomainSnapshot::xml_desc(unsigned flags) {
    auto r = conn_->remote().domain_snapshot_get_xml_desc({ref_, flags});
    if (!r) return r.error();
    return r->xml;
}

Status DomainSnapshot::revert(unsigned flags) {
    if (Status s = conn_->require_writable("virDomainRevertToSnapshot"); !s) return s;
    return conn_->remote().domain_revert_to_snapshot({ref_, flags});
}

Status DomainSnapshot::remove(unsigned flags) {
    if (Status s = conn_->require_writable("virDomainSnapshotDelete"); !s) return s;
    return conn_->remote().domain_snapshot_delete({ref_, flags});
}

} // namespace virtd::client
