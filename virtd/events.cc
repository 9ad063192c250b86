#include "virtd/events.h"

#include <algorithm>

#include "rpc/remote_protocol.h"

namespace virtd {
namespace {

constexpr int32_t kLifecycleEventId = 0; // VIR_DOMAIN_EVENT_ID_LIFECYCLE

rpc::NonnullDomain to_wire(const DomainRef& r) {
    return {r.name, r.uuid.bytes(), r.id};
}

Error no_such_callback(int32_t id) {
    return make_error(ErrorCode::InvalidArg, ErrorDomain::Rpc,
                      "no domain event callback with id {} is registered", id);
}

} // namespace

int32_t EventDispatcher::add_callback(uint64_t client, int32_t event_id, std::optional<Uuid> only) {
    std::lock_guard lock(mu_);
    int32_t id = next_id_++;
    callbacks_.push_back({client, id, event_id, only});
    return id;
}

Status EventDispatcher::remove_callback(uint64_t client, int32_t callback_id) {
    std::lock_guard lock(mu_);
    auto it = std::find_if(callbacks_.begin(), callbacks_.end(), [&](const Callback& c) {
        return c.client == client && c.id == callback_id;
    });
    if (it == callbacks_.end()) return no_such_callback(callback_id);
    callbacks_.erase(it);
    return {};
}

Status EventDispatcher::add_legacy(uint64_t client, int32_t event_id) {
    std::lock_guard lock(mu_);
    for (const Legacy& l : legacy_)
        if (l.client == client && l.event_id == event_id)
            return make_error(ErrorCode::OperationFailed, ErrorDomain::Rpc,
                              "domain event {} is already registered", event_id);
    legacy_.push_back({client, event_id});
    return {};
}

Status EventDispatcher::remove_legacy(uint64_t client, int32_t event_id) {
    std::lock_guard lock(mu_);
    auto it = std::find_if(legacy_.begin(), legacy_.end(), [&](const Legacy& l) {
        return l.client == client && l.event_id == event_id;
    });
    if (it == legacy_.end())
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Rpc,
                          "domain event {} is not registered", event_id);
    legacy_.erase(it);
    return {};
}

void EventDispatcher::client_closed(uint64_t client) {
    std::lock_guard lock(mu_);
    std::erase_if(callbacks_, [&](const Callback& c) { return c.client == client; });
    std::erase_if(legacy_, [&](const Legacy& l) { return l.client == client; });
}

void EventDispatcher::set_filter(Filter filter) {
    std::lock_guard lock(mu_);
    filter_ = std::move(filter);
}

void EventDispatcher::domain_event(const DomainEvent& e) {
    if (!server_) return;
    std::lock_guard lock(mu_);
    auto hidden = [&](uint64_t client) { return filter_ && !filter_(client, e); };
    for (const Callback& c : callbacks_) {
        if (c.event_id != kLifecycleEventId || (c.only && *c.only != e.dom.uuid)) continue;
        if (hidden(c.client)) continue;
        rpc::XdrWriter w;
        encode(w, rpc::DomainEventCallbackLifecycleMsg{c.id, to_wire(e.dom), e.event, e.detail});
        server_->send_message(c.client, rpc::kRemoteProgram,
                              static_cast<int32_t>(rpc::RemoteProc::DomainEventCallbackLifecycle),
                              w.take());
    }
    for (const Legacy& l : legacy_) {
        if (l.event_id != kLifecycleEventId || hidden(l.client)) continue;
        rpc::XdrWriter w;
        encode(w, rpc::DomainEventLifecycleMsg{to_wire(e.dom), e.event, e.detail});
        server_->send_message(l.client, rpc::kRemoteProgram,
                              static_cast<int32_t>(rpc::RemoteProc::DomainEventLifecycle),
                              w.take());
    }
}

} // namespace virtd
