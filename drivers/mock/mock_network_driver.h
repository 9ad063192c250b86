// MockNetworkDriver: the network half of mock:///default: libvirt's network state machine
// (defined, active, transient, autostart) with nothing on the host behind it: no bridge is
// created and no DHCP server runs, so the lease list is always empty.
//
// With a state directory, persistent definitions and autostart marks are kept under
// STATE/mock/networks and reloaded (and autostarted) at construction. Which persistent networks
// are active is kept in STATE/run/mock/networks, so that, as in libvirt, a network started by
// hand is still active after a daemon restart (guests on it may reboot).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "conf/network.h"
#include "drivers/definition_store.h"
#include "drivers/network_driver.h"

namespace virtd {

class MockNetworkDriver : public NetworkDriver {
public:
    // `state_dir` empty: nothing is written anywhere.
    explicit MockNetworkDriver(const std::string& state_dir = "");

    Result<NetworkRef> define_xml(std::string_view xml) override;
    Result<NetworkRef> create_xml(std::string_view xml) override;
    Status undefine(const NetworkRef& net) override;
    Status start(const NetworkRef& net) override;
    Status destroy(const NetworkRef& net) override;
    Result<std::vector<NetworkRef>> list_all(unsigned flags) override;
    Result<NetworkRef> lookup_by_name(std::string_view name) override;
    Result<NetworkRef> lookup_by_uuid(const Uuid& uuid) override;
    Result<std::string> get_xml(const NetworkRef& net, unsigned flags) override;
    Result<bool> is_active(const NetworkRef& net) override;
    Result<bool> is_persistent(const NetworkRef& net) override;
    Result<bool> get_autostart(const NetworkRef& net) override;
    Status set_autostart(const NetworkRef& net, bool autostart) override;
    Result<std::string> get_bridge_name(const NetworkRef& net) override;
    Result<std::vector<DhcpLease>> dhcp_leases(const NetworkRef& net,
                                               const std::optional<std::string>& mac) override;

private:
    struct Network {
        conf::NetworkDef def;
        bool persistent = true;
        bool active = false;
        bool autostart = false;

        NetworkRef ref() const { return {def.name, def.uuid}; }
    };

    // All below: mu_ held.
    Result<Network*> find(const NetworkRef& net);
    Result<Network*> add(conf::NetworkDef def, bool persistent);
    DefinitionStore::Write write_of(const Network& n) const;
    std::string free_bridge_name(const std::string& for_network) const;

    // The mark in the run dir that says `name` is active (empty without a state dir).
    std::string active_mark(const std::string& name) const;
    void set_active(Network& n, bool active);

    DefinitionStore store_;
    std::string active_dir_;
    std::mutex write_mu_; // taken before mu_ by calls that write definitions
    std::mutex mu_;
    std::map<std::string, Network> networks_; // by name; guarded by mu_
};

} // namespace virtd
