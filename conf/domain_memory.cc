// <memory>, <currentMemory>, <maxMemory> and <memoryBacking> of a domain.
#include "conf/domain_parts.h"
#include "conf/units.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

MemoryBacking read_backing(const XmlElement& e) {
    MemoryBacking b;
    if (XmlElement huge = e.child("hugepages")) {
        b.hugepages = true;
        for (const XmlElement& page : huge.children("page")) {
            HugePage p;
            std::optional<std::string> size = page.required_attr("size");
            std::optional<std::string> unit = page.attr("unit");
            if (size) {
                Result<uint64_t> bytes = size_to_bytes(*size, unit.value_or(""), kKiB);
                if (!bytes)
                    page.error(bytes.error().message());
                else if (*bytes == 0 || (*bytes & (*bytes - 1)) != 0)
                    page.error(fmt::format("page size {} bytes is not a power of two", *bytes));
                else
                    p.size = *bytes;
            }
            p.nodeset = page.attr("nodeset");
            b.pages.push_back(p);
        }
    }
    b.nosharepages = static_cast<bool>(e.child("nosharepages"));
    b.locked = static_cast<bool>(e.child("locked"));
    if (XmlElement src = e.child("source")) b.source = src.required_enum("type", kMemorySources);
    if (XmlElement access = e.child("access"))
        b.access = access.required_enum("mode", kMemoryAccesses);
    return b;
}

void write_backing(pugi::xml_node root, const MemoryBacking& b) {
    pugi::xml_node n = root.append_child("memoryBacking");
    if (b.hugepages) {
        pugi::xml_node huge = n.append_child("hugepages");
        for (const HugePage& p : b.pages) {
            pugi::xml_node page = huge.append_child("page");
            set_attr(page, "size", p.size / kKiB);
            set_attr(page, "unit", "KiB");
            set_attr(page, "nodeset", p.nodeset);
        }
    }
    if (b.nosharepages) n.append_child("nosharepages");
    if (b.locked) n.append_child("locked");
    if (b.source) set_attr(n.append_child("source"), "type", kMemorySources.name(*b.source));
    if (b.access) set_attr(n.append_child("access"), "mode", kMemoryAccesses.name(*b.access));
}

std::string human(uint64_t bytes) {
    if (bytes % kMiB == 0) return fmt::format("{} MiB", bytes / kMiB);
    if (bytes % kKiB == 0) return fmt::format("{} KiB", bytes / kKiB);
    return fmt::format("{} bytes", bytes);
}

} // namespace

void read_domain_memory(const XmlElement& root, DomainDef& d) {
    if (XmlElement mem = root.required_child("memory")) {
        // libvirt writes dumpCore on <memory>; it is accepted and has no effect here.
        mem.attr("dumpCore");
        d.memory = mem.text_size(kKiB, 1).value_or(0);
    }
    if (XmlElement cur = root.child("currentMemory")) {
        d.current_memory = cur.text_size(kKiB, 1);
        if (d.current_memory && d.memory && *d.current_memory > d.memory)
            cur.error(fmt::format("currentMemory ({}) is larger than memory ({})",
                                  human(*d.current_memory), human(d.memory)));
    }
    if (XmlElement max = root.child("maxMemory")) {
        MaxMemory m;
        m.slots = static_cast<uint32_t>(max.required_uint("slots", 0, 255).value_or(0));
        m.bytes = max.text_size(kKiB, 1).value_or(0);
        if (m.bytes && d.memory && m.bytes < d.memory)
            max.error(fmt::format("maxMemory ({}) is smaller than memory ({})", human(m.bytes),
                                  human(d.memory)));
        d.max_memory = m;
    }
    if (XmlElement backing = root.child("memoryBacking")) d.memory_backing = read_backing(backing);
}

void write_domain_memory(pugi::xml_node root, const DomainDef& d) {
    if (d.max_memory) {
        pugi::xml_node n = add_size(root, "maxMemory", d.max_memory->bytes);
        set_attr(n, "slots", d.max_memory->slots);
    }
    add_size(root, "memory", d.memory);
    if (d.current_memory) add_size(root, "currentMemory", *d.current_memory);
    if (d.memory_backing) write_backing(root, *d.memory_backing);
}

} // namespace virtd::conf
