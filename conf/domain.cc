// <domain>: the top-level fields and the device list; the other parts are read and written by
// domain_memory.cc, domain_cpu.cc and domain_os.cc, and each device kind by its domain_*.cc.
#include "conf/domain.h"

#include <set>

#include "common/log.h"
#include "conf/document.h"
#include "conf/domain_parts.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

constexpr DocumentKind kKind{"domain", "domain.rng", ErrorDomain::Domain};

template <typename T>
void read_at_most_one(const XmlElement& e, std::optional<T>& slot) {
    if (slot) e.error("only one is allowed");
    slot = T::read(e);
}

void read_devices(const XmlElement& devices, DomainDevices& out) {
    for (const XmlElement& e : devices.all_children()) {
        std::string_view kind = e.name();
        if (kind == "emulator") {
            e.take();
            out.emulator = e.text();
            // virtd runs its own VMM; a QEMU path from an existing definition is kept, not used.
            log::info("conf", "ignoring <emulator>{}</emulator>: virtd uses its own VMM",
                      *out.emulator);
        } else if (kind == "disk") {
            e.take();
            out.disks.push_back(DiskDef::read(e));
        } else if (kind == "interface") {
            e.take();
            out.interfaces.push_back(InterfaceDef::read(e));
        } else if (kind == "serial" || kind == "console" || kind == "channel") {
            e.take();
            ChardevDef c = ChardevDef::read(e);
            (kind == "serial"    ? out.serials
             : kind == "console" ? out.consoles
                                 : out.channels)
                .push_back(c);
        } else if (kind == "rng") {
            e.take();
            out.rngs.push_back(RngDef::read(e));
        } else if (kind == "memballoon") {
            e.take();
            read_at_most_one(e, out.memballoon);
        } else if (kind == "watchdog") {
            e.take();
            read_at_most_one(e, out.watchdog);
        }
        // Anything else stays unread and is reported as an unknown element.
    }
}

// Rules that span devices: disk targets, interface MACs and boot orders are unique within the
// domain, and per-device boot orders exclude <os><boot dev>.
void check_devices(const XmlElement& devices, const DomainDef& def) {
    const DomainDevices& d = def.devices;
    std::set<uint32_t> orders;
    auto check_order = [&](const std::optional<uint32_t>& order) {
        if (!order) return;
        if (!orders.insert(*order).second)
            devices.error(fmt::format("boot order {} is used by more than one device", *order));
        if (!def.os.boot_devs.empty() && orders.size() == 1)
            devices.error("per-device boot order cannot be combined with <os><boot dev>");
    };
    for (const DiskDef& disk : d.disks)
        check_order(disk.boot_order);
    for (const InterfaceDef& nic : d.interfaces)
        check_order(nic.boot_order);

    std::set<std::string> targets;
    for (const DiskDef& disk : d.disks)
        if (!disk.target_dev.empty() && !targets.insert(disk.target_dev).second)
            devices.error(fmt::format("disk target '{}' is used more than once", disk.target_dev));
    std::set<MacAddress> macs;
    for (const InterfaceDef& nic : d.interfaces)
        if (nic.mac && !macs.insert(*nic.mac).second)
            devices.error(fmt::format("MAC address '{}' is used by more than one interface",
                                      nic.mac->format()));
}

void write_devices(pugi::xml_node root, const DomainDevices& d) {
    pugi::xml_node n = root.append_child("devices");
    if (d.emulator) add_text(n, "emulator", *d.emulator);
    for (const DiskDef& disk : d.disks)
        disk.write(n);
    for (const InterfaceDef& nic : d.interfaces)
        nic.write(n);
    for (const ChardevDef& c : d.serials)
        c.write(n);
    for (const ChardevDef& c : d.consoles)
        c.write(n);
    for (const ChardevDef& c : d.channels)
        c.write(n);
    if (d.watchdog) d.watchdog->write(n);
    if (d.memballoon) d.memballoon->write(n);
    for (const RngDef& rng : d.rngs)
        rng.write(n);
}

DomainDef read_domain(const XmlElement& root) {
    DomainDef d;
    d.type = root.required_enum("type", kDomainTypes).value_or(DomainType::Kvm);
    d.id = root.attr_int("id", -1, INT32_MAX);
    d.name = read_object_name(root);
    d.uuid = read_object_uuid(root);
    if (XmlElement title = root.child("title")) {
        d.title = title.text();
        if (d.title->find('\n') != std::string::npos) title.error("must not contain newlines");
    }
    if (XmlElement desc = root.child("description")) d.description = desc.text();
    if (XmlElement meta = root.child("metadata")) d.metadata = meta.inner_xml();
    read_domain_memory(root, d);
    read_domain_cpu(root, d);
    read_domain_os(root, d);
    if (XmlElement devices = root.child("devices")) {
        read_devices(devices, d.devices);
        check_devices(devices, d);
    }
    return d;
}

} // namespace

Result<DomainDef> DomainDef::parse(std::string_view xml) {
    return parse_document<DomainDef>(xml, kKind, read_domain);
}

std::string DomainDef::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("domain");
    set_attr(root, "type", kDomainTypes.name(type));
    set_attr(root, "id", id);
    add_text(root, "name", name);
    if (!uuid.is_null()) add_text(root, "uuid", uuid.format());
    if (title) add_text(root, "title", *title);
    if (description) add_text(root, "description", *description);
    if (metadata) append_fragment(root.append_child("metadata"), *metadata);
    write_domain_memory(root, *this);
    write_domain_cpu(root, *this);
    write_domain_os(root, *this);
    write_devices(root, devices);
    return format_xml(doc);
}

} // namespace virtd::conf
