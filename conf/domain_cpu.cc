// <vcpu> and <cputune> of a domain.
#include "conf/cpuset.h"
#include "conf/domain_parts.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

std::optional<std::string> read_cpuset_attr(const XmlElement& e, const char* name) {
    std::optional<std::string> text = e.attr(name);
    if (!text) return std::nullopt;
    Result<std::set<uint32_t>> cpus = parse_cpuset(*text);
    if (!cpus) e.error(fmt::format("attribute '{}': {}", name, cpus.error().message()));
    return text;
}

VcpuDef read_vcpu(const XmlElement& e) {
    VcpuDef v;
    v.max = static_cast<uint32_t>(e.text_uint(1, kMaxVcpus).value_or(1));
    v.placement = e.attr_enum("placement", kVcpuPlacements);
    v.cpuset = read_cpuset_attr(e, "cpuset");
    v.current = e.attr_uint("current", 1, kMaxVcpus);
    if (v.current && *v.current > v.max)
        e.error(fmt::format("current vcpus ({}) exceed the maximum ({})", *v.current, v.max));
    return v;
}

CpuTune read_cputune(const XmlElement& e, uint32_t max_vcpus) {
    CpuTune t;
    if (XmlElement shares = e.child("shares")) t.shares = shares.text_uint(2, 262144);
    if (XmlElement period = e.child("period")) t.period = period.text_uint(1000, 1000000);
    if (XmlElement quota = e.child("quota")) {
        std::string text = quota.text();
        if (text == "-1") {
            t.quota = -1;
        } else if (std::optional<uint64_t> q = quota.text_uint(1000, 17592186044415)) {
            t.quota = static_cast<int64_t>(*q);
        }
    }
    for (const XmlElement& pin : e.children("vcpupin")) {
        VcpuPin p;
        std::optional<uint64_t> vcpu = pin.required_uint("vcpu", 0, kMaxVcpus - 1);
        if (vcpu && *vcpu >= max_vcpus)
            pin.error(fmt::format("vcpu {} does not exist (the domain has {})", *vcpu, max_vcpus));
        for (const VcpuPin& other : t.vcpupins)
            if (vcpu && other.vcpu == *vcpu) pin.error(fmt::format("vcpu {} pinned twice", *vcpu));
        p.vcpu = static_cast<uint32_t>(vcpu.value_or(0));
        if (!pin.has_attr("cpuset")) pin.error("missing attribute 'cpuset'");
        p.cpuset = read_cpuset_attr(pin, "cpuset").value_or("");
        t.vcpupins.push_back(p);
    }
    return t;
}

} // namespace

void read_domain_cpu(const XmlElement& root, DomainDef& d) {
    if (XmlElement vcpu = root.child("vcpu")) d.vcpu = read_vcpu(vcpu);
    if (XmlElement tune = root.child("cputune")) d.cputune = read_cputune(tune, d.vcpu.max);
}

void write_domain_cpu(pugi::xml_node root, const DomainDef& d) {
    pugi::xml_node vcpu = root.append_child("vcpu");
    if (d.vcpu.placement) set_attr(vcpu, "placement", kVcpuPlacements.name(*d.vcpu.placement));
    set_attr(vcpu, "cpuset", d.vcpu.cpuset);
    set_attr(vcpu, "current", d.vcpu.current);
    vcpu.text() = d.vcpu.max;
    if (!d.cputune) return;
    pugi::xml_node tune = root.append_child("cputune");
    if (d.cputune->shares) add_text(tune, "shares", *d.cputune->shares);
    if (d.cputune->period) add_text(tune, "period", *d.cputune->period);
    if (d.cputune->quota) add_text(tune, "quota", *d.cputune->quota);
    for (const VcpuPin& p : d.cputune->vcpupins) {
        pugi::xml_node pin = tune.append_child("vcpupin");
        set_attr(pin, "vcpu", p.vcpu);
        set_attr(pin, "cpuset", p.cpuset);
    }
}

} // namespace virtd::conf
