// MockDomainDriver: memory, vCPUs, metadata, reboot/reset and the console of mock domains.
#include <sstream>

#include <pugixml.hpp>

#include "conf/domain.h"
#include "drivers/domain_errors.h"
#include "drivers/mock/mock_domain_driver.h"

namespace virtd {
using domain_errors::invalid;
using domain_errors::not_running;

namespace {

// Which of the live and persistent definitions a change touches, as libvirt resolves
// VIR_DOMAIN_AFFECT_CURRENT (0): the live one when running, the persistent one otherwise.
Result<unsigned> resolve_impact(unsigned flags, bool active) {
    unsigned impact = flags & (kAffectLive | kAffectConfig);
    if (impact == 0) impact = active ? kAffectLive : kAffectConfig;
    if ((impact & kAffectLive) && !active) return not_running();
    return impact;
}

// A console on a mock guest: the guest echoes every byte it is sent, which is enough for a
// client to see its keystrokes arrive and come back through the stream.
class EchoConsole : public ConsoleChannel {
public:
    EchoConsole(std::shared_ptr<int> session, ConsoleOutput output)
        : session_(std::move(session))
        , output_(std::move(output)) {}
    Status write(std::string_view data) override {
        output_.data(data);
        return {};
    }

private:
    std::shared_ptr<int> session_; // the domain sees the session open while this lives
    ConsoleOutput output_;
};

bool in_namespace(const pugi::xml_node& e, std::string_view uri) {
    for (pugi::xml_attribute a : e.attributes())
        if (std::string_view(a.name()).starts_with("xmlns") && uri == a.value()) return true;
    return false;
}

std::string print_raw(const pugi::xml_node& n) {
    std::ostringstream out;
    n.print(out, "", pugi::format_raw);
    return out.str();
}

Error no_metadata() {
    return make_error(ErrorCode::NoDomainMetadata, ErrorDomain::Dom,
                      "Requested metadata element is not present");
}

} // namespace

Status MockDomainDriver::reboot(const DomainRef& dom, unsigned) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return not_running();
    return {}; // the mock guest is back at once, in the state it was in
}

Status MockDomainDriver::reset(const DomainRef& dom, unsigned flags) {
    return reboot(dom, flags);
}

Status MockDomainDriver::set_memory(const DomainRef& dom, uint64_t kib, unsigned flags) {
    return change(dom, [&](Domain& d) -> Status {
        Result<unsigned> impact = resolve_impact(flags, d.active());
        if (!impact) return impact.error();
        conf::DomainDef& def = d.def;
        uint64_t bytes = kib * 1024;
        if (flags & kAffectMaximum) {
            if (*impact & kAffectLive)
                return invalid("cannot resize the maximum memory on an active domain");
            if (bytes == 0)
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                                  "maximum memory must be greater than zero");
            def.memory = bytes;
            if (def.current_memory && *def.current_memory > bytes) def.current_memory = bytes;
        } else {
            if (bytes > def.memory)
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                                  "cannot set memory higher than max memory");
            def.current_memory = bytes;
        }
        return {};
    });
}

Status MockDomainDriver::set_vcpus(const DomainRef& dom, uint32_t count, unsigned flags) {
    return change(dom, [&](Domain& d) -> Status {
        if (count == 0)
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                              "vcpu count must not be zero");
        Result<unsigned> impact = resolve_impact(flags, d.active());
        if (!impact) return impact.error();
        conf::VcpuDef& vcpu = d.def.vcpu;
        if (flags & kAffectMaximum) {
            if (*impact & kAffectLive)
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                                  "maximum vcpu count of a live domain can't be modified");
            if (count > conf::kMaxVcpus)
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                                  "requested vcpus is greater than max allowable vcpus for the "
                                  "connection: {} > {}",
                                  count, conf::kMaxVcpus);
            vcpu.max = count;
            if (vcpu.current && *vcpu.current >= count) vcpu.current.reset();
        } else {
            if (count > vcpu.max)
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                                  "requested vcpus is greater than max allowable vcpus for the "
                                  "domain: {} > {}",
                                  count, vcpu.max);
            vcpu.current = count == vcpu.max ? std::nullopt : std::optional<uint32_t>(count);
        }
        return {};
    });
}

Result<int32_t> MockDomainDriver::get_vcpus_count(const DomainRef& dom, unsigned flags) {
    constexpr unsigned kVcpuGuest = 8;
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if ((flags & kAffectLive) && (flags & kAffectConfig))
        return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                          "invalid flag combination: live and config");
    if (flags & kVcpuGuest)
        return make_error(ErrorCode::ArgumentUnsupported, ErrorDomain::Dom,
                          "the mock guest has no agent to ask for its vcpus");
    Result<unsigned> impact = resolve_impact(flags, (*d)->active());
    if (!impact) return impact.error();
    const conf::VcpuDef& vcpu = (*d)->def.vcpu;
    return static_cast<int32_t>((flags & kAffectMaximum) ? vcpu.max
                                                         : vcpu.current.value_or(vcpu.max));
}

Result<std::vector<VcpuInfo>> MockDomainDriver::get_vcpu_info(const DomainRef& dom) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return not_running();
    const conf::VcpuDef& vcpu = (*d)->def.vcpu;
    uint32_t n = vcpu.current.value_or(vcpu.max);
    std::chrono::nanoseconds cpu = (*d)->cpu_time;
    if ((*d)->state == DomainState::Running) cpu += Clock::now() - (*d)->running_since;
    std::vector<VcpuInfo> out;
    for (uint32_t i = 0; i < n; i++)
        out.push_back({i, (*d)->state == DomainState::Running ? 1 : 0,
                       static_cast<uint64_t>(cpu.count()) / n, static_cast<int32_t>(i)});
    return out;
}

Result<std::string> MockDomainDriver::get_metadata(const DomainRef& dom, MetadataType type,
                                                   const std::optional<std::string>& uri,
                                                   unsigned) {
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    const conf::DomainDef& def = (*d)->def;
    switch (type) {
    case MetadataType::Description:
        if (!def.description) return no_metadata();
        return *def.description;
    case MetadataType::Title:
        if (!def.title) return no_metadata();
        return *def.title;
    case MetadataType::Element: {
        if (!uri)
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                              "a namespace URI is required for element metadata");
        pugi::xml_document doc;
        std::string wrapped = "<metadata>" + def.metadata.value_or("") + "</metadata>";
        if (doc.load_string(wrapped.c_str()))
            for (pugi::xml_node e : doc.document_element().children())
                if (e.type() == pugi::node_element && in_namespace(e, *uri)) return print_raw(e);
        return no_metadata();
    }
    }
    return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom, "unknown metadata type {}",
                      static_cast<int32_t>(type));
}

Status MockDomainDriver::set_metadata(const DomainRef& dom, MetadataType type,
                                      const std::optional<std::string>& value,
                                      const std::optional<std::string>& key,
                                      const std::optional<std::string>& uri, unsigned) {
    return change(dom, [&](Domain& d) -> Status {
        conf::DomainDef& def = d.def;
        bool remove = !value || value->empty();
        switch (type) {
        case MetadataType::Description:
            def.description = remove ? std::nullopt : value;
            break;
        case MetadataType::Title:
            if (!remove && value->find('\n') != std::string::npos)
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                                  "title can't contain newlines");
            def.title = remove ? std::nullopt : value;
            break;
        case MetadataType::Element: {
            if (!uri || (!remove && (!key || key->empty())))
                return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom,
                                  "element metadata needs a namespace URI and a key");
            pugi::xml_document doc;
            std::string wrapped = "<metadata>" + def.metadata.value_or("") + "</metadata>";
            if (!doc.load_string(wrapped.c_str()))
                return make_error(ErrorCode::InternalError, ErrorDomain::Dom,
                                  "the domain's stored metadata does not parse");
            pugi::xml_node root = doc.document_element();
            for (pugi::xml_node e = root.first_child(); e;) {
                pugi::xml_node next = e.next_sibling();
                if (e.type() == pugi::node_element && in_namespace(e, *uri)) root.remove_child(e);
                e = next;
            }
            if (!remove) {
                pugi::xml_document add;
                if (!add.load_string(value->c_str()) || !add.document_element())
                    return make_error(ErrorCode::XmlError, ErrorDomain::Dom,
                                      "metadata for '{}' is not a well-formed XML element", *uri);
                pugi::xml_node e = root.append_copy(add.document_element());
                std::string local = e.name();
                if (size_t colon = local.find(':'); colon != std::string::npos)
                    local = local.substr(colon + 1);
                e.set_name((*key + ":" + local).c_str());
                e.prepend_attribute(("xmlns:" + *key).c_str()) = uri->c_str();
            }
            std::string inner;
            for (pugi::xml_node e : root.children())
                inner += print_raw(e);
            def.metadata = inner.empty() ? std::nullopt : std::optional<std::string>(inner);
            break;
        }
        default:
            return make_error(ErrorCode::InvalidArg, ErrorDomain::Dom, "unknown metadata type {}",
                              static_cast<int32_t>(type));
        }
        return {};
    });
}

Result<std::unique_ptr<ConsoleChannel>>
MockDomainDriver::open_console(const DomainRef& dom, const std::optional<std::string>&,
                               unsigned flags, const ConsoleOutput& output) {
    constexpr unsigned kConsoleForce = 1;
    std::lock_guard lock(mu_);
    Result<Domain*> d = find_or_error(dom);
    if (!d) return d.error();
    if (!(*d)->active()) return not_running();
    if (!(*d)->console.expired() && !(flags & kConsoleForce))
        return make_error(ErrorCode::OperationFailed, ErrorDomain::Dom,
                          "Active console session exists for this domain");
    auto session = std::make_shared<int>(0);
    (*d)->console = session;
    return std::unique_ptr<ConsoleChannel>(new EchoConsole(session, output));
}

} // namespace virtd
