#include "conf/domain_snapshot.h"

#include "conf/document.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

constexpr DocumentKind kKind{"domainsnapshot", "domainsnapshot.rng", ErrorDomain::DomainSnapshot};

DomainSnapshotDef read_snapshot(const XmlElement& root) {
    DomainSnapshotDef s;
    if (XmlElement name = root.child("name")) {
        s.name = name.required_text();
        if (s.name) check_object_name(name, *s.name);
    }
    if (XmlElement d = root.child("description")) s.description = d.text();
    if (XmlElement st = root.child("state")) s.state = st.text_enum(kSnapshotStates);
    if (XmlElement p = root.child("parent"))
        if (XmlElement pn = p.required_child("name")) s.parent = pn.required_text();
    if (XmlElement t = root.child("creationTime")) {
        if (std::optional<uint64_t> v = t.text_uint(0, INT64_MAX))
            s.creation_time = static_cast<int64_t>(*v);
    }
    if (XmlElement m = root.child("memory"))
        s.memory = m.required_enum("snapshot", kSnapshotMemories);
    if (XmlElement disks = root.child("disks")) {
        for (const XmlElement& d : disks.children("disk")) {
            SnapshotDisk disk;
            disk.name = d.required_attr("name").value_or("");
            disk.snapshot = d.attr_enum("snapshot", kSnapshotMemories);
            s.disks.push_back(std::move(disk));
        }
    }
    return s;
}

} // namespace

Result<DomainSnapshotDef> DomainSnapshotDef::parse(std::string_view xml) {
    return parse_document<DomainSnapshotDef>(xml, kKind, read_snapshot);
}

std::string DomainSnapshotDef::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("domainsnapshot");
    if (name) add_text(root, "name", *name);
    if (description) add_text(root, "description", *description);
    if (state) add_text(root, "state", kSnapshotStates.name(*state));
    if (parent) add_text(root.append_child("parent"), "name", *parent);
    if (creation_time) add_text(root, "creationTime", *creation_time);
    if (memory) set_attr(root.append_child("memory"), "snapshot", kSnapshotMemories.name(*memory));
    if (!disks.empty()) {
        pugi::xml_node ds = root.append_child("disks");
        for (const SnapshotDisk& d : disks) {
            pugi::xml_node n = ds.append_child("disk");
            set_attr(n, "name", d.name);
            if (d.snapshot) set_attr(n, "snapshot", kSnapshotMemories.name(*d.snapshot));
        }
    }
    if (domain_xml) append_fragment(root, *domain_xml);
    return format_xml(doc);
}

} // namespace virtd::conf
