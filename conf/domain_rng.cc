// <rng>: reading and writing side by side.
#include "conf/domain_rng.h"

#include "conf/xml_writer.h"

namespace virtd::conf {

RngDef RngDef::read(const XmlElement& e) {
    RngDef d;
    d.model = e.required_enum("model", kRngModels).value_or(RngModel::Virtio);
    if (XmlElement rate = e.child("rate")) {
        if (auto bytes = rate.required_uint("bytes", 1, UINT32_MAX))
            d.rate_bytes = static_cast<uint32_t>(*bytes);
        if (auto period = rate.attr_uint("period", 1, UINT32_MAX))
            d.rate_period = static_cast<uint32_t>(*period);
    }
    if (XmlElement backend = e.required_child("backend")) {
        std::optional<std::string> model = backend.required_attr("model");
        if (model && *model != "random")
            backend.error(fmt::format("unsupported backend model '{}' (expected random)", *model));
        std::string path = backend.text();
        if (!path.empty()) {
            d.source = kRngSources.parse(path);
            if (!d.source)
                backend.error(fmt::format("unsupported random source '{}' (expected one of: {})",
                                          path, kRngSources.list()));
        }
    }
    d.address = DeviceAddress::read(e);
    return d;
}

void RngDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("rng");
    set_attr(n, "model", kRngModels.name(model));
    if (rate_bytes) {
        pugi::xml_node rate = n.append_child("rate");
        set_attr(rate, "bytes", *rate_bytes);
        set_attr(rate, "period", rate_period);
    }
    pugi::xml_node backend =
        source ? add_text(n, "backend", kRngSources.name(*source)) : n.append_child("backend");
    set_attr(backend, "model", "random");
    if (address) address->write(n);
}

} // namespace virtd::conf
