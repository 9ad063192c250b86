// Connection: one open connection to a virtd (or libvirtd) daemon, the entry point of the C++
// client library. It performs the same open handshake stock virsh does, owns the transport,
// looks up and creates objects, and routes domain events to registered handlers.
//
// Thread safety: methods may be called from several threads at once (calls go out concurrently).
// Event handlers run on the transport's event thread, one at a time; they may call back into the
// connection. Objects (Domain, StoragePool, ...) keep a pointer to their Connection, which must
// outlive them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/domain.h"
#include "client/network.h"
#include "client/sasl_auth.h"
#include "client/snapshot.h"
#include "client/storage_pool.h"
#include "client/storage_vol.h"
#include "common/error.h"
#include "rpc/client.h"
#include "rpc/remote_protocol.h"

namespace virtd::client {

struct ConnectUri;

// Flags for Connection::open (libvirt's virConnectFlags).
inline constexpr unsigned kConnectReadOnly = 1;

// libvirt's virConnectListAllDomainsFlags.
namespace list_domains {
inline constexpr unsigned kActive = 1;
inline constexpr unsigned kInactive = 2;
inline constexpr unsigned kPersistent = 4;
inline constexpr unsigned kTransient = 8;
inline constexpr unsigned kRunning = 16;
inline constexpr unsigned kPaused = 32;
inline constexpr unsigned kShutoff = 64;
inline constexpr unsigned kOther = 128;
inline constexpr unsigned kAutostart = 1024;
inline constexpr unsigned kNoAutostart = 2048;
} // namespace list_domains

// Host facts (NODE_GET_INFO): memory in KiB, mhz may be 0 when unknown.
using NodeInfo = rpc::NodeGetInfoRet;

// Called for each domain lifecycle event: the domain, libvirt's event and detail numbers.
using LifecycleHandler = std::function<void(const Domain&, int event, int detail)>;

class Connection {
public:
    // Connects as the URI says (see ConnectUri), authenticates if the daemon asks (SASL: see
    // sasl_auth.h; `prompt` is asked what the URI and auth file do not say) and opens the
    // driver it names. Flags: kConnectReadOnly. The error is the transport's or the daemon's.
    static Result<std::unique_ptr<Connection>> open(const std::string& uri, unsigned flags = 0,
                                                    const CredentialPrompt& prompt = {});
    // Closes politely if still open.
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // CONNECT_UNREGISTER_CLOSE_CALLBACK and CONNECT_CLOSE, then the socket. Idempotent.
    Status close();

    const std::string& uri() const { return uri_; }
    bool readonly() const { return readonly_; }
    // Refuses a change on a read-only connection before it is sent, worded as libvirt's client
    // words it ("read only access prevents virDomainCreate"), so tools see the same text.
    Status require_writable(std::string_view api) const;
    // The generated stubs, for calls the object classes do not wrap.
    rpc::RemoteClient& remote() { return remote_; }
    rpc::RpcClient& transport() { return *rpc_; }
    // Called once if the link to the daemon drops (not after close()).
    void set_close_handler(std::function<void(const Error&)> handler);

    Result<bool> supports_feature(int feature);
    Result<std::string> hostname();
    Result<std::string> canonical_uri(); // what the daemon calls itself (CONNECT_GET_URI)
    Result<std::string> hypervisor_type();
    Result<uint64_t> hypervisor_version(); // major * 1000000 + minor * 1000 + micro
    Result<uint64_t> library_version();
    Result<NodeInfo> node_info();
    Result<std::string> capabilities();

    // Domains (flags: list_domains::*; 0 means all).
    Result<std::vector<Domain>> list_all_domains(unsigned flags);
    Result<Domain> domain_by_name(const std::string& name);
    Result<Domain> domain_by_id(int id);
    Result<Domain> domain_by_uuid(const Uuid& uuid);
    // As virsh resolves a <domain> argument: an id (a number >= 0), then a UUID, then a name;
    // a failed lookup falls through to the next kind. Ids are not tried when `allow_id` is false.
    Result<Domain> find_domain(std::string_view text, bool allow_id = true);
    Result<Domain> define_domain(const std::string& xml, unsigned flags = 0);
    Result<Domain> create_domain(const std::string& xml, unsigned flags = 0);

    // Restores a domain saved with Domain::save.
    Status restore_domain(const std::string& from);

    // Storage (flags: libvirt's virConnectListAllStoragePoolsFlags; 0 means all).
    Result<std::vector<StoragePool>> list_all_storage_pools(unsigned flags);
    Result<StoragePool> pool_by_name(const std::string& name);
    // A UUID (36 characters) first, then a name, as virsh resolves a <pool> argument.
    Result<StoragePool> find_pool(std::string_view text);
    Result<StoragePool> pool_of_volume(const StorageVol& vol);
    Result<StoragePool> define_pool(const std::string& xml, unsigned flags = 0);
    Result<StoragePool> create_pool(const std::string& xml, unsigned flags = 0);
    Result<StorageVol> volume_by_key(const std::string& key);
    Result<StorageVol> volume_by_path(const std::string& path);

    // Networks (flags: libvirt's virConnectListAllNetworksFlags; 0 means all).
    Result<std::vector<Network>> list_all_networks(unsigned flags);
    Result<Network> network_by_name(const std::string& name);
    Result<Network> find_network(std::string_view text); // UUID, then name
    Result<Network> define_network(const std::string& xml);
    Result<Network> create_network(const std::string& xml);

    // Sends a call that opens a data stream (vol-upload/download, console) and returns the
    // stream once the daemon has accepted the call.
    template <typename Args>
    Result<std::unique_ptr<rpc::RpcStream>> open_stream(int32_t proc, const Args& args) {
        rpc::XdrWriter w;
        encode(w, args);
        auto r = rpc_->call_with_stream(rpc::kRemoteProgram, rpc::kRemoteVersion, proc, w.take());
        if (!r) return r.error();
        return std::move(r->second);
    }

    // Lifecycle events for every domain, or only `only` when given. Returns the id to remove.
    Result<int> add_lifecycle_handler(LifecycleHandler handler,
                                      const std::optional<Domain>& only = std::nullopt);
    Status remove_event_handler(int callback_id);

private:
    Connection(std::unique_ptr<rpc::RpcClient> rpc, std::string uri, bool readonly);
    Status handshake(const ConnectUri& uri, unsigned flags, const CredentialPrompt& prompt);
    void on_message(const rpc::MessageHeader& h, const std::string& payload);

    std::unique_ptr<rpc::RpcClient> rpc_; // immutable after open
    rpc::RemoteClient remote_;
    std::string uri_;
    bool readonly_ = false;
    bool close_callback_ = false; // registered with the daemon: unregister at close
    bool closed_ = false;

    std::mutex events_mu_; // held across registration so no event beats its handler
    std::map<int, LifecycleHandler> lifecycle_; // guarded by events_mu_
};

} // namespace virtd::client
