// KvmDomainDriver: what the engine offers (virsh capabilities, virsh domcapabilities). Both come
// from the VMM's own limits, so they say exactly what a definition may ask of virtd-vmm.
#include "common/host.h"
#include "conf/capabilities.h"
#include "conf/domain_capabilities.h"
#include "drivers/kvm/kvm_domain_driver.h"
#include "drivers/kvm/vmm/vmm_options.h"

namespace virtd::kvm {
namespace {

// The one guest kind the engine runs.
constexpr const char* kArch = "riscv64";
constexpr const char* kMachine = "virt";
constexpr const char* kVirtType = "kvm";

Error not_supported(std::string_view what, std::string_view value, std::string_view emulator) {
    return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu,
                      "{} '{}' is not supported by emulator '{}'", what, value, emulator);
}

} // namespace

Result<std::string> KvmDomainDriver::capabilities() {
    static const Uuid host_uuid = Uuid::generate(); // stable for the daemon's lifetime
    conf::Capabilities caps =
        conf::Capabilities::for_host(host_uuid, config_.vmm_binary, host_cpus());
    for (conf::CapsGuest& g : caps.guests)
        for (conf::CapsMachine& m : g.machines)
            m.max_cpus = vmm::kMaxHarts;
    return caps.format();
}

Result<std::string> KvmDomainDriver::domain_capabilities(const std::string& emulator,
                                                         const std::string& arch,
                                                         const std::string& machine,
                                                         const std::string& virttype, unsigned) {
    const std::string& vmm = config_.vmm_binary;
    if (!emulator.empty() && emulator != vmm)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Qemu,
                          "emulator '{}' is not supported: this host runs guests with '{}'",
                          emulator, vmm);
    if (!arch.empty() && arch != kArch) return not_supported("architecture", arch, vmm);
    if (!machine.empty() && machine != kMachine) return not_supported("machine", machine, vmm);
    if (!virttype.empty() && virttype != kVirtType) return not_supported("virttype", virttype, vmm);
    return conf::DomainCapabilities::for_engine(vmm, vmm::kMaxHarts).format();
}

} // namespace virtd::kvm
