// <pool>: reading and writing side by side; the schema is schemas/storagepool.rng.
#include "conf/storage_pool.h"

#include "conf/document.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

constexpr DocumentKind kKind{"pool", "storagepool.rng", ErrorDomain::Storage};

// Which <source> parts each pool type takes.
struct SourceRules {
    bool devices;
    bool dir;
    bool host;
    bool iscsi; // initiator and auth
    bool name;
    bool format;
};

SourceRules rules_for(PoolType type) {
    switch (type) {
    case PoolType::Dir:
        return {false, false, false, false, false, false};
    case PoolType::Fs:
        return {true, false, false, false, false, true};
    case PoolType::Logical:
        return {true, false, false, false, true, true};
    case PoolType::Netfs:
        return {false, true, true, false, false, true};
    case PoolType::Iscsi:
        return {true, false, true, true, false, false};
    }
    return {};
}

bool format_fits(PoolType type, PoolFormat f) {
    switch (type) {
    case PoolType::Fs:
        return f <= PoolFormat::Ocfs2;
    case PoolType::Netfs:
        return f == PoolFormat::Auto || (f >= PoolFormat::Nfs && f <= PoolFormat::Cifs);
    case PoolType::Logical:
        return f == PoolFormat::Auto || f == PoolFormat::Lvm2;
    default:
        return false;
    }
}

void check_absolute(const XmlElement& e, const char* what, const std::string& path) {
    if (!path.starts_with('/')) e.error(fmt::format("{} '{}' is not an absolute path", what, path));
}

// Reports a source part the pool type does not take.
bool allowed(const XmlElement& e, bool ok, PoolType type) {
    if (!ok) {
        e.error(fmt::format("not used by a pool of type '{}'", kPoolTypes.name(type)));
        e.take(true); // one message for the element, not one per attribute
    }
    return ok;
}

PoolAuth read_auth(const XmlElement& e) {
    PoolAuth auth;
    std::optional<std::string> type = e.required_attr("type");
    if (type && *type != "chap")
        e.error(fmt::format("unsupported auth type '{}' (expected chap)", *type));
    auth.username = e.required_attr("username").value_or("");
    if (XmlElement secret = e.required_child("secret")) {
        auth.secret_usage = secret.attr("usage");
        if (std::optional<std::string> uuid = secret.attr("uuid")) {
            Result<Uuid> u = Uuid::parse(*uuid);
            if (u)
                auth.secret_uuid = *u;
            else
                secret.error(u.error().message());
        }
        if (auth.secret_usage.has_value() == secret.has_attr("uuid"))
            secret.error("needs exactly one of 'usage' and 'uuid'");
    }
    return auth;
}

PoolSource read_source(const XmlElement& e, PoolType type) {
    SourceRules rules = rules_for(type);
    PoolSource s;
    for (const XmlElement& d : e.children("device")) {
        if (!allowed(d, rules.devices, type)) continue;
        std::string path = d.required_attr("path").value_or("");
        if (type != PoolType::Iscsi && d.has_attr("path")) check_absolute(d, "device", path);
        s.devices.push_back(path);
    }
    if (XmlElement dir = e.child("dir"); dir && allowed(dir, rules.dir, type)) {
        s.dir = dir.required_attr("path").value_or("");
        if (dir.has_attr("path")) check_absolute(dir, "export", *s.dir);
    }
    if (XmlElement host = e.child("host"); host && allowed(host, rules.host, type)) {
        PoolHost h;
        h.name = host.required_attr("name").value_or("");
        if (auto port = host.attr_uint("port", 1, 65535)) h.port = static_cast<uint32_t>(*port);
        s.host = h;
    }
    if (XmlElement init = e.child("initiator"); init && allowed(init, rules.iscsi, type)) {
        if (XmlElement iqn = init.required_child("iqn"))
            s.initiator_iqn = iqn.required_attr("name");
    }
    if (XmlElement auth = e.child("auth"); auth && allowed(auth, rules.iscsi, type))
        s.auth = read_auth(auth);
    if (XmlElement format = e.child("format"); format && allowed(format, rules.format, type)) {
        s.format = format.required_enum("type", kPoolFormats);
        if (s.format && !format_fits(type, *s.format))
            format.error(fmt::format("format '{}' does not fit a pool of type '{}'",
                                     kPoolFormats.name(*s.format), kPoolTypes.name(type)));
    }
    if (XmlElement name = e.child("name"); name && allowed(name, rules.name, type))
        s.name = name.required_text();
    return s;
}

// What each type needs to be usable, beyond what the schema can say.
void check_required(const XmlElement& root, const StoragePoolDef& p) {
    const PoolSource empty;
    const PoolSource& s = p.source ? *p.source : empty;
    auto need = [&](bool ok, const char* what) {
        if (!ok)
            root.error(fmt::format("a pool of type '{}' needs {}", kPoolTypes.name(p.type), what));
    };
    switch (p.type) {
    case PoolType::Dir:
        need(p.target_path.has_value(), "a target path");
        break;
    case PoolType::Fs:
        need(s.devices.size() == 1, "exactly one source device");
        need(p.target_path.has_value(), "a target path");
        break;
    case PoolType::Logical:
        need(s.name.has_value() || !s.devices.empty(), "a source name or device");
        break;
    case PoolType::Netfs:
        need(s.host.has_value(), "a source host");
        need(s.dir.has_value(), "a source dir");
        need(p.target_path.has_value(), "a target path");
        break;
    case PoolType::Iscsi:
        need(s.host.has_value(), "a source host");
        need(s.devices.size() == 1, "exactly one source device (the target IQN)");
        need(p.target_path.has_value(), "a target path");
        break;
    }
}

StoragePoolDef read_pool(const XmlElement& root) {
    StoragePoolDef p;
    p.type = root.required_enum("type", kPoolTypes).value_or(PoolType::Dir);
    p.name = read_object_name(root);
    p.uuid = read_object_uuid(root);
    if (XmlElement e = root.child("capacity")) p.capacity = e.text_size(1);
    if (XmlElement e = root.child("allocation")) p.allocation = e.text_size(1);
    if (XmlElement e = root.child("available")) p.available = e.text_size(1);
    if (XmlElement source = root.child("source")) p.source = read_source(source, p.type);
    if (XmlElement target = root.child("target")) {
        if (XmlElement path = target.child("path")) {
            p.target_path = path.required_text();
            if (p.target_path) check_absolute(path, "target path", *p.target_path);
        }
        if (XmlElement perms = target.child("permissions"))
            p.target_permissions = Permissions::read(perms);
    }
    check_required(root, p);
    return p;
}

void write_source(pugi::xml_node root, const PoolSource& s) {
    pugi::xml_node n = root.append_child("source");
    if (s.host) {
        pugi::xml_node h = n.append_child("host");
        set_attr(h, "name", s.host->name);
        set_attr(h, "port", s.host->port);
    }
    for (const std::string& d : s.devices)
        set_attr(n.append_child("device"), "path", d);
    if (s.dir) set_attr(n.append_child("dir"), "path", *s.dir);
    if (s.name) add_text(n, "name", *s.name);
    if (s.format) set_attr(n.append_child("format"), "type", kPoolFormats.name(*s.format));
    if (s.initiator_iqn)
        set_attr(n.append_child("initiator").append_child("iqn"), "name", *s.initiator_iqn);
    if (s.auth) {
        pugi::xml_node a = n.append_child("auth");
        set_attr(a, "type", "chap");
        set_attr(a, "username", s.auth->username);
        pugi::xml_node secret = a.append_child("secret");
        set_attr(secret, "usage", s.auth->secret_usage);
        if (s.auth->secret_uuid) set_attr(secret, "uuid", s.auth->secret_uuid->format());
    }
}

} // namespace

Result<StoragePoolDef> StoragePoolDef::parse(std::string_view xml) {
    return parse_document<StoragePoolDef>(xml, kKind, read_pool);
}

std::string StoragePoolDef::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("pool");
    set_attr(root, "type", kPoolTypes.name(type));
    add_text(root, "name", name);
    if (!uuid.is_null()) add_text(root, "uuid", uuid.format());
    if (capacity) add_size(root, "capacity", *capacity, true);
    if (allocation) add_size(root, "allocation", *allocation, true);
    if (available) add_size(root, "available", *available, true);
    if (source) write_source(root, *source);
    if (target_path || target_permissions) {
        pugi::xml_node target = root.append_child("target");
        if (target_path) add_text(target, "path", *target_path);
        if (target_permissions) target_permissions->write(target);
    }
    return format_xml(doc);
}

} // namespace virtd::conf
