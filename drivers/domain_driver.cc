#include "drivers/domain_driver.h"

namespace virtd {

Error driver_unsupported(std::string_view what) {
    return make_error(ErrorCode::NoSupport, ErrorDomain::Dom, "{}", what);
}

Result<DomainRef> DomainDriver::define_xml(std::string_view) {
    return driver_unsupported("defining domains");
}
Result<DomainRef> DomainDriver::create_xml(std::string_view, unsigned) {
    return driver_unsupported("creating transient domains");
}
Status DomainDriver::undefine(const DomainRef&, unsigned) {
    return driver_unsupported("undefining domains");
}
Result<std::vector<DomainRef>> DomainDriver::list_all(unsigned) {
    return driver_unsupported("listing domains");
}
Result<DomainRef> DomainDriver::lookup_by_name(std::string_view) {
    return driver_unsupported("looking up domains");
}
Result<DomainRef> DomainDriver::lookup_by_uuid(const Uuid&) {
    return driver_unsupported("looking up domains");
}
Result<DomainRef> DomainDriver::lookup_by_id(int32_t) {
    return driver_unsupported("looking up domains");
}
Result<DomainRef> DomainDriver::start(const DomainRef&, unsigned) {
    return driver_unsupported("starting domains");
}
Status DomainDriver::destroy(const DomainRef&, unsigned) {
    return driver_unsupported("destroying domains");
}
Status DomainDriver::shutdown(const DomainRef&, unsigned) {
    return driver_unsupported("shutting down domains");
}
Status DomainDriver::suspend(const DomainRef&) {
    return driver_unsupported("suspending domains");
}
Status DomainDriver::resume(const DomainRef&) {
    return driver_unsupported("resuming domains");
}
Result<std::string> DomainDriver::get_xml(const DomainRef&, unsigned) {
    return driver_unsupported("domain XML");
}
Result<DomainInfo> DomainDriver::get_info(const DomainRef&) {
    return driver_unsupported("domain info");
}
Result<bool> DomainDriver::is_active(const DomainRef&) {
    return driver_unsupported("domain state");
}
Result<bool> DomainDriver::is_persistent(const DomainRef&) {
    return driver_unsupported("domain persistence");
}

Result<bool> DomainDriver::get_autostart(const DomainRef&) {
    return driver_unsupported("domain autostart");
}
Status DomainDriver::set_autostart(const DomainRef&, bool) {
    return driver_unsupported("domain autostart");
}

Status DomainDriver::reboot(const DomainRef&, unsigned) {
    return driver_unsupported("rebooting domains");
}
Status DomainDriver::reset(const DomainRef&, unsigned) {
    return driver_unsupported("resetting domains");
}
Status DomainDriver::set_memory(const DomainRef&, uint64_t, unsigned) {
    return driver_unsupported("changing domain memory");
}
Status DomainDriver::set_vcpus(const DomainRef&, uint32_t, unsigned) {
    return driver_unsupported("changing domain vcpus");
}
Result<int32_t> DomainDriver::get_vcpus_count(const DomainRef&, unsigned) {
    return driver_unsupported("domain vcpu counts");
}
Result<std::vector<VcpuInfo>> DomainDriver::get_vcpu_info(const DomainRef&) {
    return driver_unsupported("domain vcpu info");
}
Result<std::string> DomainDriver::get_metadata(const DomainRef&, MetadataType,
                                               const std::optional<std::string>&, unsigned) {
    return driver_unsupported("domain metadata");
}
Status DomainDriver::set_metadata(const DomainRef&, MetadataType, const std::optional<std::string>&,
                                  const std::optional<std::string>&,
                                  const std::optional<std::string>&, unsigned) {
    return driver_unsupported("domain metadata");
}
Status DomainDriver::save(const DomainRef&, const std::string&, unsigned) {
    return driver_unsupported("saving domains");
}
Status DomainDriver::restore(const std::string&, unsigned) {
    return driver_unsupported("restoring domains");
}
Status DomainDriver::managed_save(const DomainRef&, unsigned) {
    return driver_unsupported("managed save");
}
Result<bool> DomainDriver::has_managed_save(const DomainRef&) {
    return driver_unsupported("managed save");
}
Status DomainDriver::managed_save_remove(const DomainRef&) {
    return driver_unsupported("managed save");
}
Result<std::string> DomainDriver::snapshot_create(const DomainRef&, std::string_view, unsigned) {
    return driver_unsupported("snapshots");
}
Result<std::vector<std::string>> DomainDriver::snapshot_list(const DomainRef&, unsigned) {
    return driver_unsupported("snapshots");
}
Result<std::string> DomainDriver::snapshot_xml(const DomainRef&, const std::string&, unsigned) {
    return driver_unsupported("snapshots");
}
Result<std::optional<std::string>> DomainDriver::snapshot_current(const DomainRef&) {
    return driver_unsupported("snapshots");
}
Status DomainDriver::snapshot_revert(const DomainRef&, const std::string&, unsigned) {
    return driver_unsupported("snapshots");
}
Status DomainDriver::snapshot_delete(const DomainRef&, const std::string&, unsigned) {
    return driver_unsupported("snapshots");
}
Result<std::unique_ptr<ConsoleChannel>>
DomainDriver::open_console(const DomainRef&, const std::optional<std::string>&, unsigned,
                           const ConsoleOutput&) {
    return driver_unsupported("consoles");
}

Result<DomainStateReason> DomainDriver::get_state(const DomainRef& dom) {
    Result<DomainInfo> info = get_info(dom);
    if (!info) return info.error();
    // Reasons: running 1 (booted), paused 1 (user), shut off 0 (unknown).
    int32_t reason = info->state == DomainState::Shutoff ? 0 : 1;
    return DomainStateReason{info->state, reason};
}
Result<CpuTimes> DomainDriver::cpu_times(const DomainRef& dom) {
    Result<DomainInfo> info = get_info(dom);
    if (!info) return info.error();
    if (info->state == DomainState::Shutoff)
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::Dom, "domain is not running");
    CpuTimes t;
    t.total_ns = info->cpu_time_ns;
    return t;
}
Result<std::vector<MemoryStat>> DomainDriver::memory_stats(const DomainRef&, unsigned) {
    return driver_unsupported("memory statistics");
}
Result<BlockStats> DomainDriver::block_stats(const DomainRef&, const std::string&) {
    return driver_unsupported("block statistics");
}
Result<InterfaceStats> DomainDriver::interface_stats(const DomainRef&, const std::string&) {
    return driver_unsupported("interface statistics");
}
Result<std::string> DomainDriver::capabilities() {
    return driver_unsupported("capabilities");
}
Result<std::string> DomainDriver::domain_capabilities(const std::string&, const std::string&,
                                                      const std::string&, const std::string&,
                                                      unsigned) {
    return driver_unsupported("domain capabilities");
}

} // namespace virtd
