// Domain: a handle on one domain (a guest) of a Connection, named by name, UUID and id as the
// daemon last reported them; every method is one or a few RPC calls. Cheap to copy.
//
// Thread safety: as the Connection. The Connection must outlive the handle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/snapshot.h"
#include "common/error.h"
#include "common/uuid.h"
#include "rpc/client.h"
#include "rpc/remote_protocol.h"

namespace virtd::client {

class Connection;

// libvirt's virDomainState.
enum class DomainState : int {
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,
    Shutdown = 4,
    Shutoff = 5,
    Crashed = 6,
    PmSuspended = 7,
};

// DOMAIN_GET_INFO: memory in KiB, cpu_time in nanoseconds.
struct DomainInfo {
    DomainState state = DomainState::NoState;
    uint64_t max_mem_kib = 0;
    uint64_t memory_kib = 0;
    unsigned vcpus = 0;
    uint64_t cpu_time_ns = 0;
};

class Domain {
public:
    Domain(Connection& conn, rpc::NonnullDomain ref)
        : conn_(&conn)
        , ref_(std::move(ref)) {}

    const std::string& name() const { return ref_.name; }
    Uuid uuid() const { return Uuid(ref_.uuid); }
    // -1 while the domain is not running.
    int id() const { return ref_.id; }
    const rpc::NonnullDomain& ref() const { return ref_; }
    Connection& connection() const { return *conn_; }

    // Starts a defined domain; afterwards id() is the new id.
    Status create(unsigned flags = 0);
    Status destroy(unsigned flags = 0);
    Status shutdown(unsigned flags = 0);
    Status reboot(unsigned flags = 0);
    Status reset();
    Status suspend();
    Status resume();
    // UNDEFINE_FLAGS, falling back to the plain UNDEFINE when the daemon lacks it.
    Status undefine(unsigned flags = 0);

    Result<std::string> xml_desc(unsigned flags = 0);
    Result<DomainInfo> info();
    // State and reason (DOMAIN_GET_STATE, or GET_INFO when the daemon lacks it).
    Result<std::pair<DomainState, int>> state();
    Result<std::string> os_type();
    Result<bool> is_active();
    Result<bool> is_persistent();
    Result<bool> autostart();
    Status set_autostart(bool on);
    Result<bool> has_managed_save();

    Status set_memory(uint64_t kib);
    Status set_max_memory(uint64_t kib);
    Status set_vcpus(unsigned count);
    // flags: libvirt's virDomainModificationImpact (LIVE 1, CONFIG 2) plus MEM_MAXIMUM 4 /
    // VCPU_MAXIMUM 4, VCPU_GUEST 8.
    Status set_memory_flags(uint64_t kib, unsigned flags);
    Status set_vcpus_flags(unsigned count, unsigned flags);
    Result<int> vcpus_flags(unsigned flags);

    // Saves the running domain's state to a file on the daemon's host and stops it.
    Status save(const std::string& to);
    // The console's byte stream (dev_name empty: the first console).
    Result<std::unique_ptr<rpc::RpcStream>> open_console(const std::string& dev_name,
                                                         unsigned flags = 0);

    Result<DomainSnapshot> create_snapshot(const std::string& xml, unsigned flags = 0);
    Result<std::vector<DomainSnapshot>> list_snapshots(unsigned flags = 0);
    Result<DomainSnapshot> snapshot_by_name(const std::string& name);
    // The current snapshot; NoDomainSnapshot when there is none.
    Result<DomainSnapshot> current_snapshot();

    // Asks the daemon again (the id changes when the domain starts or stops).
    Status refresh();

private:
    Connection* conn_;
    rpc::NonnullDomain ref_;
};

} // namespace virtd::client
