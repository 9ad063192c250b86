#include "drivers/mock/mock_network_driver.h"

#include <unistd.h>

#include "common/file.h"
#include "common/log.h"

namespace virtd {
namespace {

Error no_network(std::string_view how, std::string_view what) {
    return make_error(ErrorCode::NoNetwork, ErrorDomain::Network,
                      "no network with matching {} '{}'", how, what);
}

Error invalid(std::string_view what) {
    return make_error(ErrorCode::OperationInvalid, ErrorDomain::Network, "{}", what);
}

} // namespace

MockNetworkDriver::MockNetworkDriver(const std::string& state_dir)
    : store_(state_dir.empty() ? "" : path_join(state_dir, "mock/networks"), "network")
    , active_dir_(state_dir.empty() ? "" : path_join(state_dir, "run/mock/networks")) {
    std::lock_guard lock(mu_);
    for (DefinitionStore::Entry& e : store_.load()) {
        Result<conf::NetworkDef> def = conf::NetworkDef::parse(e.text);
        if (!def) {
            log::error("mock", "skipping '{}': {}", e.path, def.error().message());
            continue;
        }
        Result<Network*> n = add(std::move(*def), true);
        if (!n) {
            log::error("mock", "skipping '{}': {}", e.path, n.error().message());
            continue;
        }
        (*n)->autostart = e.autostart;
        const std::string mark = active_mark((*n)->def.name);
        (*n)->active = e.autostart || (!mark.empty() && ::access(mark.c_str(), F_OK) == 0);
    }
}

std::string MockNetworkDriver::active_mark(const std::string& name) const {
    return active_dir_.empty() ? "" : path_join(active_dir_, name + ".active");
}

// Only persistent networks are marked: a transient one is not reloaded after a restart.
void MockNetworkDriver::set_active(Network& n, bool active) {
    n.active = active;
    const std::string mark = active_mark(n.def.name);
    if (mark.empty()) return;
    if (!active) {
        ::unlink(mark.c_str());
        return;
    }
    if (!n.persistent) return;
    Status s = make_dirs(active_dir_, 0700);
    if (s) s = write_run_file(mark, "", 0600);
    if (!s)
        log::warning("mock", "network '{}' will not be active after a restart: {}", n.def.name,
                     s.error().message());
}

Result<MockNetworkDriver::Network*> MockNetworkDriver::find(const NetworkRef& net) {
    auto it = networks_.find(net.name);
    if (it != networks_.end() && (net.uuid.is_null() || it->second.def.uuid == net.uuid))
        return &it->second;
    for (auto& [name, n] : networks_)
        if (!net.uuid.is_null() && n.def.uuid == net.uuid) return &n;
    return no_network("name", net.name);
}

Result<MockNetworkDriver::Network*> MockNetworkDriver::add(conf::NetworkDef def, bool persistent) {
    if (def.uuid.is_null()) def.uuid = Uuid::generate();
    for (auto& [name, n] : networks_) {
        if (name == def.name && n.def.uuid != def.uuid)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Network,
                              "network '{}' already exists with uuid {}", name,
                              n.def.uuid.format());
        if (name != def.name && n.def.uuid == def.uuid)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Network,
                              "network '{}' is already defined with uuid {}", name,
                              def.uuid.format());
    }
    // Like libvirt, a network that does not join a host bridge and names none gets virbrN.
    bool host_bridge = def.forward && (def.forward->effective_mode() == conf::ForwardMode::Bridge);
    if (!host_bridge && !(def.bridge && def.bridge->name)) {
        if (!def.bridge) def.bridge.emplace();
        def.bridge->name = free_bridge_name(def.name);
    }
    auto [it, inserted] = networks_.try_emplace(def.name);
    Network& n = it->second;
    if (!inserted && n.active && !persistent)
        return invalid(fmt::format("network '{}' is already active", def.name));
    n.def = std::move(def);
    n.persistent = inserted ? persistent : (n.persistent || persistent);
    return &n;
}

std::string MockNetworkDriver::free_bridge_name(const std::string& for_network) const {
    if (auto it = networks_.find(for_network);
        it != networks_.end() && it->second.def.bridge && it->second.def.bridge->name)
        return *it->second.def.bridge->name; // a redefinition keeps its bridge
    for (unsigned i = 0;; i++) {
        std::string name = fmt::format("virbr{}", i);
        bool used = false;
        for (const auto& [n, net] : networks_)
            used = used || (net.def.bridge && net.def.bridge->name == name);
        if (!used) return name;
    }
}

DefinitionStore::Write MockNetworkDriver::write_of(const Network& n) const {
    return {n.def.name, n.def.format(), n.autostart};
}

Result<NetworkRef> MockNetworkDriver::define_xml(std::string_view xml) {
    Result<conf::NetworkDef> def = conf::NetworkDef::parse(xml);
    if (!def) return def.error();
    // Written after mu_ is released (lookups never wait for the fsync), in order (write_mu_);
    // a new definition whose file cannot be written is taken back.
    std::lock_guard write_lock(write_mu_);
    DefinitionStore::Write write;
    NetworkRef ref;
    bool existed = false;
    {
        std::lock_guard lock(mu_);
        existed = networks_.count(def->name) != 0;
        Result<Network*> n = add(std::move(*def), true);
        if (!n) return n.error();
        (*n)->persistent = true;
        write = write_of(**n);
        ref = (*n)->ref();
    }
    if (Status s = store_.save(write); !s) {
        std::lock_guard lock(mu_);
        if (auto it = networks_.find(ref.name);
            !existed && it != networks_.end() && !it->second.active)
            networks_.erase(it);
        return s.error();
    }
    return ref;
}

Result<NetworkRef> MockNetworkDriver::create_xml(std::string_view xml) {
    Result<conf::NetworkDef> def = conf::NetworkDef::parse(xml);
    if (!def) return def.error();
    std::lock_guard lock(mu_);
    if (auto it = networks_.find(def->name); it != networks_.end() && it->second.active)
        return invalid(fmt::format("network '{}' is already active", def->name));
    Result<Network*> n = add(std::move(*def), false);
    if (!n) return n.error();
    (*n)->active = true;
    return (*n)->ref();
}

Status MockNetworkDriver::undefine(const NetworkRef& net) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    if (!(*n)->persistent) return invalid("cannot undefine transient network");
    store_.forget((*n)->def.name);
    if (std::string mark = active_mark((*n)->def.name); !mark.empty()) ::unlink(mark.c_str());
    (*n)->autostart = false;
    if ((*n)->active)
        (*n)->persistent = false; // it lives on until it is destroyed
    else
        networks_.erase((*n)->def.name);
    return {};
}

Status MockNetworkDriver::start(const NetworkRef& net) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    if ((*n)->active) return invalid(fmt::format("network '{}' is already active", net.name));
    set_active(**n, true);
    return {};
}

Status MockNetworkDriver::destroy(const NetworkRef& net) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    if (!(*n)->active) return invalid(fmt::format("network '{}' is not active", net.name));
    set_active(**n, false);
    if (!(*n)->persistent) networks_.erase((*n)->def.name);
    return {};
}

Result<std::vector<NetworkRef>> MockNetworkDriver::list_all(unsigned flags) {
    std::lock_guard lock(mu_);
    std::vector<NetworkRef> out;
    for (const auto& [name, n] : networks_)
        if (object_list::matches(flags, n.active, n.persistent, n.autostart))
            out.push_back(n.ref());
    return out;
}

Result<NetworkRef> MockNetworkDriver::lookup_by_name(std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = networks_.find(std::string(name));
    if (it == networks_.end()) return no_network("name", name);
    return it->second.ref();
}

Result<NetworkRef> MockNetworkDriver::lookup_by_uuid(const Uuid& uuid) {
    std::lock_guard lock(mu_);
    for (const auto& [name, n] : networks_)
        if (n.def.uuid == uuid) return n.ref();
    return no_network("uuid", uuid.format());
}

Result<std::string> MockNetworkDriver::get_xml(const NetworkRef& net, unsigned) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    return (*n)->def.format();
}

Result<bool> MockNetworkDriver::is_active(const NetworkRef& net) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    return (*n)->active;
}

Result<bool> MockNetworkDriver::is_persistent(const NetworkRef& net) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    return (*n)->persistent;
}

Result<bool> MockNetworkDriver::get_autostart(const NetworkRef& net) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    return (*n)->autostart;
}

Status MockNetworkDriver::set_autostart(const NetworkRef& net, bool autostart) {
    std::lock_guard write_lock(write_mu_);
    DefinitionStore::Write write;
    {
        std::lock_guard lock(mu_);
        Result<Network*> n = find(net);
        if (!n) return n.error();
        if (!(*n)->persistent) return invalid("cannot set autostart for transient network");
        (*n)->autostart = autostart;
        write = write_of(**n);
    }
    return store_.save(write);
}

Result<std::string> MockNetworkDriver::get_bridge_name(const NetworkRef& net) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    const conf::NetworkDef& def = (*n)->def;
    if (!def.bridge || !def.bridge->name)
        return make_error(ErrorCode::InternalError, ErrorDomain::Network,
                          "network '{}' does not have a bridge name.", def.name);
    return *def.bridge->name;
}

Result<std::vector<DhcpLease>> MockNetworkDriver::dhcp_leases(const NetworkRef& net,
                                                              const std::optional<std::string>&) {
    std::lock_guard lock(mu_);
    Result<Network*> n = find(net);
    if (!n) return n.error();
    return std::vector<DhcpLease>{}; // no DHCP server runs behind the mock
}

} // namespace virtd
