// Conversions between the protocol's object handles (remote_nonnull_*) and the driver
// interfaces' refs, and the one-liners that wrap a driver result into a reply struct.
#pragma once

#include "drivers/domain_driver.h"
#include "drivers/network_driver.h"
#include "drivers/storage_driver.h"
#include "rpc/remote_protocol.h"

namespace virtd {

inline DomainRef to_ref(const rpc::NonnullDomain& d) {
    return {d.name, Uuid(d.uuid), d.id};
}
inline rpc::NonnullDomain to_wire(const DomainRef& r) {
    return {r.name, r.uuid.bytes(), r.id};
}
inline PoolRef to_ref(const rpc::NonnullStoragePool& p) {
    return {p.name, Uuid(p.uuid)};
}
inline rpc::NonnullStoragePool to_wire(const PoolRef& r) {
    return {r.name, r.uuid.bytes()};
}
inline VolRef to_ref(const rpc::NonnullStorageVol& v) {
    return {v.pool, v.name, v.key};
}
inline rpc::NonnullStorageVol to_wire(const VolRef& r) {
    return {r.pool, r.name, r.key};
}
inline NetworkRef to_ref(const rpc::NonnullNetwork& n) {
    return {n.name, Uuid(n.uuid)};
}
inline rpc::NonnullNetwork to_wire(const NetworkRef& r) {
    return {r.name, r.uuid.bytes()};
}

// A reply whose only field is the object a driver call returned.
template <typename Ret, typename Ref>
Result<Ret> wrap_ref(Result<Ref> r) {
    if (!r) return r.error();
    return Ret{to_wire(*r)};
}

// A reply whose only field is a flag (is_active, get_autostart, ...).
template <typename Ret>
Result<Ret> wrap_bool(Result<bool> r) {
    if (!r) return r.error();
    return Ret{*r ? 1 : 0};
}

// A reply whose only field is a string.
template <typename Ret>
Result<Ret> wrap_string(Result<std::string> r) {
    if (!r) return r.error();
    return Ret{std::move(*r)};
}

// A listAll reply: the objects (when asked for) and their count.
template <typename Ret, typename Ref, typename Field>
Result<Ret> wrap_list(Result<std::vector<Ref>> list, int32_t need_results, Field Ret::*field) {
    if (!list) return list.error();
    Ret ret;
    ret.ret = static_cast<decltype(ret.ret)>(list->size());
    if (need_results) {
        (ret.*field).reserve(list->size());
        for (const Ref& r : *list)
            (ret.*field).push_back(to_wire(r));
    }
    return ret;
}

} // namespace virtd
