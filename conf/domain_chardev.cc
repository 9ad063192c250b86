// <serial>, <console>, <channel>: reading and writing side by side.
#include "conf/domain_chardev.h"

#include <string>

#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

bool target_fits(ChardevKind kind, ChardevTarget t) {
    switch (kind) {
    case ChardevKind::Serial:
        return t == ChardevTarget::IsaSerial || t == ChardevTarget::SystemSerial;
    case ChardevKind::Console:
        return t == ChardevTarget::Serial || t == ChardevTarget::Virtio;
    case ChardevKind::Channel:
        return t == ChardevTarget::Virtio;
    }
    return false;
}

void read_source(const XmlElement& e, ChardevDef& d) {
    XmlElement src = e.child("source");
    if (src) {
        d.source_path = src.attr("path");
        d.source_mode = src.attr_enum("mode", kUnixModes);
        if (d.source_mode && d.type != ChardevType::Unix)
            src.error("attribute 'mode' only applies to type 'unix'");
    }
    if (d.type == ChardevType::Pty) return;
    // As in libvirt, a unix channel may leave its path to the driver (virt-install's agent
    // channel is <source mode='bind'/>); the running definition then shows the path chosen.
    if (!d.source_path && d.kind == ChardevKind::Channel && d.type == ChardevType::Unix) return;
    if (!d.source_path) {
        (src ? src : e)
            .error(fmt::format("type '{}' needs <source path='...'/>", kChardevTypes.name(d.type)));
    } else if (!d.source_path->starts_with('/')) {
        src.error(fmt::format("attribute 'path': '{}' is not an absolute path", *d.source_path));
    }
}

void read_target(const XmlElement& e, ChardevDef& d) {
    XmlElement t = e.child("target");
    if (!t) {
        if (d.kind == ChardevKind::Channel) e.error("missing element 'target'");
        return;
    }
    d.target_type = t.attr_enum("type", kChardevTargets);
    if (d.target_type && !target_fits(d.kind, *d.target_type))
        t.error(fmt::format("target type '{}' does not fit a {}",
                            kChardevTargets.name(*d.target_type), kChardevKinds.name(d.kind)));
    if (std::optional<uint64_t> port = t.attr_uint("port", 0, 31))
        d.target_port = static_cast<uint32_t>(*port);
    if (XmlElement model = t.child("model")) {
        d.target_model = model.required_attr("name");
        if (d.kind != ChardevKind::Serial)
            model.error("only a serial target has a model");
        else if (d.target_model && *d.target_model != "16550a")
            model.error(
                fmt::format("unsupported serial model '{}' (expected 16550a)", *d.target_model));
    }
    d.target_name = t.attr("name");
    d.target_state = t.attr_enum("state", kChannelStates);
    if (d.kind == ChardevKind::Channel) {
        if (d.target_type != ChardevTarget::Virtio) t.error("a channel needs target type 'virtio'");
        if (!d.target_name || d.target_name->empty())
            t.error("a channel needs a target name (the port name the guest sees)");
    } else if (d.target_name || d.target_state) {
        t.error("only a channel target has a name and a state");
    }
}

} // namespace

ChardevDef ChardevDef::read(const XmlElement& e) {
    ChardevDef d;
    d.kind = kChardevKinds.parse(e.name()).value_or(ChardevKind::Serial);
    d.type = e.required_enum("type", kChardevTypes).value_or(ChardevType::Pty);
    if (d.kind == ChardevKind::Channel && d.type == ChardevType::File)
        e.error("a channel needs type 'unix' or 'pty'");
    read_source(e, d);
    if (XmlElement log = e.child("log")) {
        d.log_file = log.required_attr("file");
        if (d.log_file && !d.log_file->starts_with('/'))
            log.error(fmt::format("attribute 'file': '{}' is not an absolute path", *d.log_file));
        d.log_append = log.attr_on_off("append");
    }
    read_target(e, d);
    d.address = DeviceAddress::read(e);
    return d;
}

void ChardevDef::write(pugi::xml_node devices) const {
    pugi::xml_node n = devices.append_child(std::string(kChardevKinds.name(kind)).c_str());
    set_attr(n, "type", kChardevTypes.name(type));
    if (source_path || source_mode) {
        pugi::xml_node src = n.append_child("source");
        if (source_mode) set_attr(src, "mode", kUnixModes.name(*source_mode));
        set_attr(src, "path", source_path);
    }
    if (log_file) {
        pugi::xml_node log = n.append_child("log");
        set_attr(log, "file", *log_file);
        set_on_off(log, "append", log_append);
    }
    if (target_type || target_port || target_model || target_name || target_state) {
        pugi::xml_node t = n.append_child("target");
        if (target_type) set_attr(t, "type", kChardevTargets.name(*target_type));
        set_attr(t, "port", target_port);
        set_attr(t, "name", target_name);
        if (target_state) set_attr(t, "state", kChannelStates.name(*target_state));
        if (target_model) set_attr(t.append_child("model"), "name", *target_model);
    }
    if (address) address->write(n);
}

} // namespace virtd::conf
