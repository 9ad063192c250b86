// <disk>: reading and writing, side by side. schemas/domain_disk.rng states the same rules.
#include "conf/domain_disk.h"

#include <string_view>

#include <fmt/format.h>

#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

bool only_chars(std::string_view s, std::string_view extra) {
    for (char c : s) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && extra.find(c) == std::string_view::npos) return false;
    }
    return !s.empty();
}

// An absolute path on one line (the schema's absolutePath).
void check_path(const XmlElement& e, const char* attr, const std::string& value) {
    if (!value.starts_with('/') || value.find_first_of("\r\n") != std::string::npos)
        e.error(fmt::format("attribute '{}': '{}' is not an absolute path", attr, value));
}

// A pool or volume name: not empty, no '/' or newline (the schema's objectName).
void check_name(const XmlElement& e, const char* attr, const std::string& value) {
    if (value.empty() || value.find_first_of("/\n") != std::string::npos)
        e.error(fmt::format("attribute '{}': invalid name '{}'", attr, value));
}

// An iSCSI target: an IQN (no '/' or whitespace), optionally followed by "/LUN".
bool is_iscsi_name(std::string_view name) {
    size_t slash = name.find('/');
    std::string_view iqn = name.substr(0, slash);
    if (iqn.empty() || iqn.find_first_of(" \t\r\n") != std::string_view::npos) return false;
    if (slash == std::string_view::npos) return true;
    std::string_view lun = name.substr(slash + 1);
    return !lun.empty() && lun.find_first_not_of("0123456789") == std::string_view::npos;
}

// Whether a <source> attribute belongs to a source of this type.
bool source_attr_fits(std::string_view attr, DiskType type) {
    switch (type) {
    case DiskType::File:
        return attr == "file";
    case DiskType::Block:
        return attr == "dev";
    case DiskType::Network:
        return attr == "protocol" || attr == "name";
    case DiskType::Volume:
        return attr == "pool" || attr == "volume";
    }
    return false;
}

void read_host(const XmlElement& h, DiskHost& out) {
    out.name = h.required_attr("name").value_or("");
    if (h.has_attr("name") && !only_chars(out.name, "_.:[]-"))
        h.error(fmt::format("attribute 'name': invalid host name '{}'", out.name));
    if (std::optional<uint64_t> port = h.attr_uint("port", 1, 65535))
        out.port = static_cast<uint32_t>(*port);
}

DiskAuth read_auth(const XmlElement& a) {
    DiskAuth auth;
    auth.username = a.required_attr("username").value_or("");
    if (a.has_attr("username") && auth.username.empty())
        a.error("attribute 'username': must not be empty");
    if (XmlElement s = a.required_child("secret")) {
        auth.secret_type =
            s.required_enum("type", kDiskSecretTypes).value_or(DiskSecretType::Iscsi);
        auth.secret_usage = s.attr("usage");
        if (auth.secret_usage && auth.secret_usage->empty())
            s.error("attribute 'usage': must not be empty");
        if (std::optional<std::string> uuid = s.attr("uuid")) {
            Result<Uuid> u = Uuid::parse(*uuid);
            if (u)
                auth.secret_uuid = *u;
            else
                s.error(fmt::format("attribute 'uuid': {}", u.error().message()));
        }
        if (s.has_attr("usage") == s.has_attr("uuid"))
            s.error("needs exactly one of the attributes 'usage' and 'uuid'");
    }
    return auth;
}

void read_network_source(const XmlElement& src, DiskSource& s) {
    std::optional<DiskProtocol> protocol = src.required_enum("protocol", kDiskProtocols);
    s.protocol = protocol.value_or(DiskProtocol::Nfs);
    s.name = src.required_attr("name").value_or("");
    if (protocol == DiskProtocol::Nfs && src.has_attr("name")) check_path(src, "name", s.name);
    if (protocol == DiskProtocol::Iscsi && src.has_attr("name") && !is_iscsi_name(s.name))
        src.error(fmt::format("attribute 'name': '{}' is not an iSCSI target (expected an IQN, "
                              "optionally followed by /LUN)",
                              s.name));
    if (XmlElement h = src.required_child("host")) read_host(h, s.host);
    if (XmlElement a = src.child("auth")) {
        if (protocol && *protocol != DiskProtocol::Iscsi)
            a.error("only iSCSI sources take authentication");
        s.auth = read_auth(a);
    }
    if (XmlElement id = src.child("identity")) {
        if (protocol && *protocol != DiskProtocol::Nfs)
            id.error("only NFS sources take an identity");
        DiskNfsIdentity identity;
        for (const char* attr : {"user", "group"}) {
            std::optional<std::string> v = id.attr(attr);
            if (v && !only_chars(*v, "_+-"))
                id.error(fmt::format("attribute '{}': invalid name '{}'", attr, *v));
            (std::string_view(attr) == "user" ? identity.user : identity.group) = v;
        }
        s.identity = identity;
    }
}

DiskSource read_source(const XmlElement& src, DiskType type) {
    for (const char* attr : {"file", "dev", "protocol", "name", "pool", "volume"}) {
        if (!src.has_attr(attr) || source_attr_fits(attr, type)) continue;
        src.attr(attr);
        src.error(fmt::format("attribute '{}' does not match a source of type '{}'", attr,
                              kDiskTypes.name(type)));
    }
    DiskSource s;
    switch (type) {
    case DiskType::File:
    case DiskType::Block: {
        const char* attr = type == DiskType::File ? "file" : "dev";
        if (std::optional<std::string> p = src.required_attr(attr)) {
            s.path = *p;
            check_path(src, attr, s.path);
        }
        break;
    }
    case DiskType::Network:
        read_network_source(src, s);
        break;
    case DiskType::Volume:
        if (std::optional<std::string> pool = src.required_attr("pool")) {
            s.pool = *pool;
            check_name(src, "pool", s.pool);
        }
        if (std::optional<std::string> vol = src.required_attr("volume")) {
            s.volume = *vol;
            check_name(src, "volume", s.volume);
        }
        break;
    }
    return s;
}

bool has_content(const XmlElement& e) {
    pugi::xml_node n = e.node();
    if (n.first_attribute()) return true;
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element) return true;
    return false;
}

void read_backing_chain(const XmlElement& disk, DiskDef& d) {
    for (XmlElement b = disk.child("backingStore"); b; b = b.child("backingStore")) {
        if (!has_content(b)) {
            d.backing_closed = true;
            return;
        }
        if (d.backing_chain.size() == kMaxBackingChain) {
            b.error(fmt::format("backing chain is longer than {} layers", kMaxBackingChain));
            b.take(true);
            return;
        }
        BackingStoreDef layer;
        std::optional<DiskType> type = b.required_enum("type", kDiskTypes);
        layer.type = type.value_or(DiskType::File);
        bool local = type && (layer.type == DiskType::File || layer.type == DiskType::Block);
        if (type && !local)
            b.error(fmt::format("attribute 'type': a backing store is a file or a block device, "
                                "not '{}'",
                                kDiskTypes.name(layer.type)));
        if (XmlElement f = b.required_child("format"))
            layer.format = f.required_enum("type", kDiskFormats).value_or(DiskFormat::Raw);
        if (XmlElement s = b.required_child("source")) {
            if (local)
                layer.source = read_source(s, layer.type);
            else
                s.take(true); // its attributes mean nothing without a usable type
        }
        d.backing_chain.push_back(layer);
    }
}

void read_target(const XmlElement& t, DiskDef& d) {
    d.target_dev = t.required_attr("dev").value_or("");
    std::string_view dev = d.target_dev;
    bool virtio_name =
        dev.size() >= 3 && dev.size() <= 5 && dev.starts_with("vd") &&
        dev.substr(2).find_first_not_of("abcdefghijklmnopqrstuvwxyz") == std::string_view::npos;
    if (t.has_attr("dev") && !virtio_name)
        t.error(fmt::format("attribute 'dev': '{}' is not a virtio disk name (expected 'vd' "
                            "followed by 1 to 3 letters, as in vda)",
                            d.target_dev));
    d.bus = t.attr_enum("bus", kDiskBuses);
}

void read_serial(const XmlElement& s, DiskDef& d) {
    d.serial = s.text();
    if (d.serial->size() > 20 || !only_chars(*d.serial, "_.+-"))
        s.error(fmt::format("'{}' is not a disk serial (1 to 20 letters, digits and _ . + -)",
                            *d.serial));
}

void write_source(pugi::xml_node parent, DiskType type, const DiskSource& s) {
    pugi::xml_node n = parent.append_child("source");
    switch (type) {
    case DiskType::File:
        set_attr(n, "file", s.path);
        break;
    case DiskType::Block:
        set_attr(n, "dev", s.path);
        break;
    case DiskType::Network: {
        set_attr(n, "protocol", kDiskProtocols.name(s.protocol));
        set_attr(n, "name", s.name);
        pugi::xml_node h = n.append_child("host");
        set_attr(h, "name", s.host.name);
        set_attr(h, "port", s.host.port);
        if (s.auth) {
            pugi::xml_node a = n.append_child("auth");
            set_attr(a, "username", s.auth->username);
            pugi::xml_node secret = a.append_child("secret");
            set_attr(secret, "type", kDiskSecretTypes.name(s.auth->secret_type));
            set_attr(secret, "usage", s.auth->secret_usage);
            if (s.auth->secret_uuid) set_attr(secret, "uuid", s.auth->secret_uuid->format());
        }
        if (s.identity) {
            pugi::xml_node id = n.append_child("identity");
            set_attr(id, "user", s.identity->user);
            set_attr(id, "group", s.identity->group);
        }
        break;
    }
    case DiskType::Volume:
        set_attr(n, "pool", s.pool);
        set_attr(n, "volume", s.volume);
        break;
    }
}

} // namespace

DiskDef DiskDef::read(const XmlElement& e) {
    DiskDef d;
    std::optional<DiskType> type = e.required_enum("type", kDiskTypes);
    d.type = type.value_or(DiskType::File);
    d.device = e.attr_enum("device", kDiskDevices);
    if (XmlElement drv = e.child("driver")) {
        DiskDriver driver;
        driver.name = drv.attr_enum("name", kDiskDriverNames);
        driver.format = drv.attr_enum("type", kDiskFormats);
        driver.cache = drv.attr_enum("cache", kDiskCaches);
        driver.io = drv.attr_enum("io", kDiskIos);
        driver.discard = drv.attr_enum("discard", kDiskDiscards);
        d.driver = driver;
    }
    if (XmlElement src = e.child("source")) {
        if (type)
            d.source = read_source(src, *type);
        else
            src.take(true); // its attributes mean nothing without a type
    } else if (type && !(d.is_cdrom() && (*type == DiskType::File || *type == DiskType::Block))) {
        // Only a cdrom may be empty (no medium), and only a local one.
        e.error("missing element 'source'");
    }
    read_backing_chain(e, d);
    if (XmlElement t = e.required_child("target")) read_target(t, d);
    d.readonly = static_cast<bool>(e.child("readonly"));
    d.shareable = static_cast<bool>(e.child("shareable"));
    if (XmlElement s = e.child("serial")) read_serial(s, d);
    if (XmlElement b = e.child("boot")) {
        if (std::optional<uint64_t> o = b.required_uint("order", 1, UINT32_MAX))
            d.boot_order = static_cast<uint32_t>(*o);
    }
    d.address = DeviceAddress::read(e);
    return d;
}

void DiskDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child("disk");
    set_attr(n, "type", kDiskTypes.name(type));
    if (device) set_attr(n, "device", kDiskDevices.name(*device));
    if (driver) {
        pugi::xml_node drv = n.append_child("driver");
        if (driver->name) set_attr(drv, "name", kDiskDriverNames.name(*driver->name));
        if (driver->format) set_attr(drv, "type", kDiskFormats.name(*driver->format));
        if (driver->cache) set_attr(drv, "cache", kDiskCaches.name(*driver->cache));
        if (driver->io) set_attr(drv, "io", kDiskIos.name(*driver->io));
        if (driver->discard) set_attr(drv, "discard", kDiskDiscards.name(*driver->discard));
    }
    if (source) write_source(n, type, *source);
    pugi::xml_node parent = n;
    for (const BackingStoreDef& layer : backing_chain) {
        parent = parent.append_child("backingStore");
        set_attr(parent, "type", kDiskTypes.name(layer.type));
        set_attr(parent.append_child("format"), "type", kDiskFormats.name(layer.format));
        write_source(parent, layer.type, layer.source);
    }
    if (backing_closed) parent.append_child("backingStore");
    pugi::xml_node target = n.append_child("target");
    set_attr(target, "dev", target_dev);
    if (bus) set_attr(target, "bus", kDiskBuses.name(*bus));
    if (readonly) n.append_child("readonly");
    if (shareable) n.append_child("shareable");
    if (serial) add_text(n, "serial", *serial);
    if (boot_order) set_attr(n.append_child("boot"), "order", *boot_order);
    if (address) address->write(n);
}

} // namespace virtd::conf
