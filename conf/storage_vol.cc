#include "conf/storage_vol.h"

#include "conf/document.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

constexpr DocumentKind kKind{"volume", "storagevol.rng", ErrorDomain::Storage};

std::optional<VolumeFormat> read_format(const XmlElement& parent) {
    XmlElement f = parent.child("format");
    if (!f) return std::nullopt;
    return f.required_enum("type", kVolumeFormats);
}

VolumeBacking read_backing(const XmlElement& e) {
    VolumeBacking b;
    if (XmlElement path = e.required_child("path")) b.path = path.required_text().value_or("");
    b.format = read_format(e);
    if (XmlElement perms = e.child("permissions")) b.permissions = Permissions::read(perms);
    return b;
}

StorageVolDef read_volume(const XmlElement& root) {
    StorageVolDef v;
    v.type = root.attr_enum("type", kVolumeTypes);
    v.name = read_object_name(root);
    if (XmlElement key = root.child("key")) v.key = key.text();
    // libvirt writes an empty <source/> for volumes of directory pools; accept it as such.
    if (XmlElement source = root.child("source")) source.take();
    if (XmlElement cap = root.required_child("capacity")) v.capacity = cap.text_size(1).value_or(0);
    if (XmlElement alloc = root.child("allocation")) v.allocation = alloc.text_size(1);
    if (XmlElement phys = root.child("physical")) v.physical = phys.text_size(1);
    if (XmlElement target = root.child("target")) {
        if (XmlElement path = target.child("path")) v.target_path = path.required_text();
        v.target_format = read_format(target);
        if (XmlElement perms = target.child("permissions"))
            v.permissions = Permissions::read(perms);
        if (XmlElement compat = target.child("compat")) {
            v.compat = compat.text();
            if (*v.compat != "0.10" && *v.compat != "1.1")
                compat.error(fmt::format("unknown qcow2 compat level '{}' (expected 0.10 or 1.1)",
                                         *v.compat));
        }
    }
    if (XmlElement backing = root.child("backingStore")) v.backing = read_backing(backing);
    if (v.compat && v.target_format != VolumeFormat::Qcow2)
        root.error("target compat is only meaningful for the qcow2 format");
    return v;
}

} // namespace

Result<StorageVolDef> StorageVolDef::parse(std::string_view xml) {
    return parse_document<StorageVolDef>(xml, kKind, read_volume);
}

std::string StorageVolDef::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("volume");
    if (type) set_attr(root, "type", kVolumeTypes.name(*type));
    add_text(root, "name", name);
    if (key) add_text(root, "key", *key);
    add_size(root, "capacity", capacity, true);
    if (allocation) add_size(root, "allocation", *allocation, true);
    if (physical) add_size(root, "physical", *physical, true);
    {
        // Always written: libvirt's tools expect <target> even when it is empty.
        pugi::xml_node target = root.append_child("target");
        if (target_path) add_text(target, "path", *target_path);
        if (target_format)
            set_attr(target.append_child("format"), "type", kVolumeFormats.name(*target_format));
        if (permissions) permissions->write(target);
        if (compat) add_text(target, "compat", *compat);
    }
    if (backing) {
        pugi::xml_node b = root.append_child("backingStore");
        add_text(b, "path", backing->path);
        if (backing->format)
            set_attr(b.append_child("format"), "type", kVolumeFormats.name(*backing->format));
        if (backing->permissions) backing->permissions->write(b);
    }
    return format_xml(doc);
}

} // namespace virtd::conf
