#include "conf/storage_common.h"

#include <charconv>

#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

std::optional<int64_t> read_id(const XmlElement& e) {
    std::string t = e.text();
    int64_t v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < -1 ||
        v > 0xffffffffLL) {
        e.error(fmt::format("expected a numeric id (or -1), got '{}'", t));
        return std::nullopt;
    }
    return v;
}

} // namespace

Permissions Permissions::read(const XmlElement& e) {
    Permissions p;
    if (XmlElement mode = e.child("mode")) {
        std::string t = mode.text();
        uint32_t v = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, 8);
        if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v > 07777)
            mode.error(fmt::format("expected an octal mode 0..07777, got '{}'", t));
        else
            p.mode = v;
    }
    if (XmlElement owner = e.child("owner")) p.owner = read_id(owner);
    if (XmlElement group = e.child("group")) p.group = read_id(group);
    if (XmlElement label = e.child("label")) p.label = label.text();
    return p;
}

void Permissions::write(pugi::xml_node parent) const {
    pugi::xml_node n = parent.append_child("permissions");
    if (mode) add_text(n, "mode", fmt::format("{:04o}", *mode));
    if (owner) add_text(n, "owner", *owner);
    if (group) add_text(n, "group", *group);
    if (label) add_text(n, "label", *label);
}

} // namespace virtd::conf
