// The statistics and capabilities procedures: each turns the wire arguments into one core call
// (a DomainDriver method, or drivers/domain_stats for domstats) and the answer back.
#include "drivers/domain_stats.h"
#include "virtd/remote_procedures.h"
#include "virtd/wire_refs.h"

namespace virtd {
namespace {

// virTypedParameterType numbers, in TypedValue's order (1..7).
rpc::TypedParam to_wire(const StatParam& p) {
    rpc::TypedParam t;
    t.field = p.field;
    t.value.type = static_cast<int32_t>(p.value.index()) + 1;
    std::visit(
        [&t](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, int32_t>) t.value.i = v;
            if constexpr (std::is_same_v<T, uint32_t>) t.value.ui = v;
            if constexpr (std::is_same_v<T, int64_t>) t.value.l = v;
            if constexpr (std::is_same_v<T, uint64_t>) t.value.ul = v;
            if constexpr (std::is_same_v<T, double>) t.value.d = v;
            if constexpr (std::is_same_v<T, bool>) t.value.b = v ? 1 : 0;
            if constexpr (std::is_same_v<T, std::string>) t.value.s = v;
        },
        p.value);
    return t;
}

rpc::TypedParam llong_param(const char* field, int64_t v) {
    return to_wire(StatParam{field, TypedValue(v)});
}

std::string or_empty(const std::optional<std::string>& s) {
    return s.value_or("");
}

} // namespace

Result<rpc::ConnectGetCapabilitiesRet>
RemoteProcedures::connect_get_capabilities(const rpc::CallContext& ctx) {
    return wrap_string<rpc::ConnectGetCapabilitiesRet>(domains(ctx).capabilities());
}

Result<rpc::ConnectGetDomainCapabilitiesRet>
RemoteProcedures::connect_get_domain_capabilities(const rpc::CallContext& ctx,
                                                  const rpc::ConnectGetDomainCapabilitiesArgs& a) {
    return wrap_string<rpc::ConnectGetDomainCapabilitiesRet>(
        domains(ctx).domain_capabilities(or_empty(a.emulatorbin), or_empty(a.arch),
                                         or_empty(a.machine), or_empty(a.virttype), a.flags));
}

Result<rpc::DomainMemoryStatsRet>
RemoteProcedures::domain_memory_stats(const rpc::CallContext& ctx,
                                      const rpc::DomainMemoryStatsArgs& a) {
    if (a.max_stats > rpc::kDomainMemoryStatsMax)
        return make_error(ErrorCode::Rpc, ErrorDomain::Rpc,
                          "maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX");
    Result<std::vector<MemoryStat>> stats = domains(ctx).memory_stats(to_ref(a.dom), a.flags);
    if (!stats) return stats.error();
    rpc::DomainMemoryStatsRet ret;
    for (const MemoryStat& s : *stats) {
        if (ret.stats.size() >= a.max_stats) break;
        ret.stats.push_back({s.tag, s.value});
    }
    return ret;
}

Result<rpc::DomainBlockStatsRet>
RemoteProcedures::domain_block_stats(const rpc::CallContext& ctx,
                                     const rpc::DomainBlockStatsArgs& a) {
    Result<BlockStats> s = domains(ctx).block_stats(to_ref(a.dom), a.path);
    if (!s) return s.error();
    return rpc::DomainBlockStatsRet{s->rd_req, s->rd_bytes, s->wr_req, s->wr_bytes, s->errs};
}

Result<rpc::DomainBlockStatsFlagsRet>
RemoteProcedures::domain_block_stats_flags(const rpc::CallContext& ctx,
                                           const rpc::DomainBlockStatsFlagsArgs& a) {
    if (a.nparams < 0 || a.nparams > static_cast<int32_t>(rpc::kDomainBlockStatsParametersMax))
        return make_error(ErrorCode::Rpc, ErrorDomain::Rpc, "nparams too large");
    Result<BlockStats> s = domains(ctx).block_stats(to_ref(a.dom), a.path);
    if (!s) return s.error();
    // libvirt's VIR_DOMAIN_BLOCK_STATS_* names; counters the driver does not know are left out.
    std::vector<rpc::TypedParam> all;
    auto put = [&](const char* field, int64_t v) {
        if (v >= 0) all.push_back(llong_param(field, v));
    };
    put("rd_operations", s->rd_req);
    put("rd_bytes", s->rd_bytes);
    put("wr_operations", s->wr_req);
    put("wr_bytes", s->wr_bytes);
    put("errs", s->errs);
    rpc::DomainBlockStatsFlagsRet ret;
    if (a.nparams == 0) { // the caller asks how many there are
        ret.nparams = static_cast<int32_t>(all.size());
        return ret;
    }
    if (all.size() > static_cast<size_t>(a.nparams)) all.resize(a.nparams);
    ret.nparams = static_cast<int32_t>(all.size());
    ret.params = std::move(all);
    return ret;
}

Result<rpc::DomainInterfaceStatsRet>
RemoteProcedures::domain_interface_stats(const rpc::CallContext& ctx,
                                         const rpc::DomainInterfaceStatsArgs& a) {
    Result<InterfaceStats> s = domains(ctx).interface_stats(to_ref(a.dom), a.device);
    if (!s) return s.error();
    return rpc::DomainInterfaceStatsRet{s->rx_bytes, s->rx_packets, s->rx_errs, s->rx_drop,
                                        s->tx_bytes, s->tx_packets, s->tx_errs, s->tx_drop};
}

Result<rpc::DomainGetCpuStatsRet>
RemoteProcedures::domain_get_cpu_stats(const rpc::CallContext& ctx,
                                       const rpc::DomainGetCpuStatsArgs& a) {
    // Only the total (start_cpu -1): the engine does not tell host CPUs apart.
    if (a.start_cpu != -1)
        return make_error(ErrorCode::ArgumentUnsupported, ErrorDomain::Dom,
                          "per-CPU statistics are not supported; use the total (--total)");
    Result<CpuTimes> t = domains(ctx).cpu_times(to_ref(a.dom));
    if (!t) return t.error();
    // libvirt's VIR_DOMAIN_CPU_STATS_* names, in nanoseconds.
    std::vector<rpc::TypedParam> all;
    all.push_back(to_wire(StatParam{"cpu_time", TypedValue(t->total_ns)}));
    if (t->user_ns >= 0)
        all.push_back(to_wire(StatParam{"user_time", TypedValue(uint64_t(t->user_ns))}));
    if (t->system_ns >= 0)
        all.push_back(to_wire(StatParam{"system_time", TypedValue(uint64_t(t->system_ns))}));
    rpc::DomainGetCpuStatsRet ret;
    ret.nparams = static_cast<int32_t>(all.size());
    if (a.nparams == 0) return ret; // the caller asks how many there are
    if (all.size() > a.nparams) all.resize(a.nparams);
    ret.nparams = static_cast<int32_t>(all.size());
    ret.params = std::move(all);
    return ret;
}

Result<rpc::ConnectGetAllDomainStatsRet>
RemoteProcedures::connect_get_all_domain_stats(const rpc::CallContext& ctx,
                                               const rpc::ConnectGetAllDomainStatsArgs& a) {
    std::vector<DomainRef> doms;
    for (const rpc::NonnullDomain& d : a.doms)
        if (may_see(ctx, d.name)) doms.push_back(to_ref(d));
    if (!a.doms.empty() && doms.empty()) return rpc::ConnectGetAllDomainStatsRet{};
    Result<std::vector<DomainStats>> all =
        get_all_domain_stats(domains(ctx), doms, a.stats, a.flags,
                             [&](const DomainRef& d) { return may_see(ctx, d.name); });
    if (!all) return all.error();
    rpc::ConnectGetAllDomainStatsRet ret;
    for (const DomainStats& s : *all) {
        rpc::DomainStatsRecord r;
        r.dom = virtd::to_wire(s.dom);
        for (const StatParam& p : s.params)
            r.params.push_back(to_wire(p));
        ret.ret_stats.push_back(std::move(r));
    }
    return ret;
}

} // namespace virtd
