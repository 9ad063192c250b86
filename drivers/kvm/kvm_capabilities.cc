// KvmDomainDriver: what the engine offers (virsh capabilities, virsh domcapabilities).
#include "drivers/kvm/kvm_domain_driver.h"

namespace virtd::kvm {

Result<std::string> KvmDomainDriver::capabilities() {
    return driver_unsupported("capabilities");
}

Result<std::string> KvmDomainDriver::domain_capabilities(const std::string&, const std::string&,
                                                         const std::string&, const std::string&,
                                                         unsigned) {
    return driver_unsupported("domain capabilities");
}

} // namespace virtd::kvm
