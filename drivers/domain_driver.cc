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

} // namespace virtd
