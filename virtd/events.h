// EventDispatcher: who asked for which domain events, and delivery of each event to them as an
// RPC message. Both of libvirt's registration styles are served: per-callback (procedures
// 316/317, messages carry the callback id) and the older per-event-id one (167/168).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/domain_driver.h"
#include "rpc/server.h"

namespace virtd {

class EventDispatcher : public DomainEventSink {
public:
    // `server` delivers the messages; it must outlive this object (or be null in tests that
    // only look at registrations).
    explicit EventDispatcher(rpc::RpcServer* server)
        : server_(server) {}
    // Set once, before events flow (the server needs the handler that needs this object).
    void set_server(rpc::RpcServer* server) { server_ = server; }

    // A callback for `event_id` on `client`, optionally for one domain only; returns its id.
    int32_t add_callback(uint64_t client, int32_t event_id, std::optional<Uuid> only);
    Status remove_callback(uint64_t client, int32_t callback_id);
    Status add_legacy(uint64_t client, int32_t event_id);
    Status remove_legacy(uint64_t client, int32_t event_id);
    void client_closed(uint64_t client);

    void domain_event(const DomainEvent& e) override;

    // Whether a client may hear of an event (its connection's driver sent it and the access
    // policy grants domain:getattr);
    // unset: everyone may. Called with this object's lock held: it must not call back here.
    using Filter = std::function<bool(uint64_t client, const DomainEvent& e)>;
    void set_filter(Filter filter);

private:
    struct Callback {
        uint64_t client = 0;
        int32_t id = 0;
        int32_t event_id = 0;
        std::optional<Uuid> only;
    };
    struct Legacy {
        uint64_t client = 0;
        int32_t event_id = 0;
    };

    rpc::RpcServer* server_;
    std::mutex mu_;
    std::vector<Callback> callbacks_; // guarded by mu_
    std::vector<Legacy> legacy_;      // guarded by mu_
    Filter filter_;                   // guarded by mu_
    int32_t next_id_ = 0;             // guarded by mu_; ids are unique per daemon, which
                                      // also makes them unique per connection
};

} // namespace virtd
