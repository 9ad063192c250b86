#include "conf/capabilities.h"

#include <sys/utsname.h>

#include "conf/domain.h"
#include "conf/xml_writer.h"

namespace virtd::conf {

Capabilities Capabilities::for_host(const Uuid& host_uuid, std::string_view vmm_path,
                                    uint32_t host_cpus) {
    Capabilities caps;
    caps.host.uuid = host_uuid;
    utsname u{};
    caps.host.arch = uname(&u) == 0 ? u.machine : "unknown";
    caps.host.cores = host_cpus > 0 ? host_cpus : 1;
    caps.host.uri_transports = {"tcp"}; // the migration stream (TLS is negotiated on it)
    CapsGuest guest;
    guest.emulator = std::string(vmm_path);
    guest.machines = {{"virt", kMaxVcpus}};
    guest.domain_types = {"kvm"};
    caps.guests.push_back(guest);
    return caps;
}

std::string Capabilities::format() const {
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("capabilities");

    pugi::xml_node h = root.append_child("host");
    add_text(h, "uuid", host.uuid.format());
    pugi::xml_node cpu = h.append_child("cpu");
    add_text(cpu, "arch", host.arch);
    pugi::xml_node topo = cpu.append_child("topology");
    set_attr(topo, "sockets", host.sockets);
    set_attr(topo, "dies", 1);
    set_attr(topo, "cores", host.cores);
    set_attr(topo, "threads", host.threads);
    h.append_child("power_management");
    pugi::xml_node mig = h.append_child("migration_features");
    if (host.live_migration) mig.append_child("live");
    if (!host.uri_transports.empty()) {
        pugi::xml_node uris = mig.append_child("uri_transports");
        for (const std::string& t : host.uri_transports)
            add_text(uris, "uri_transport", t);
    }
    pugi::xml_node sec = h.append_child("secmodel");
    add_text(sec, "model", host.secmodel);
    add_text(sec, "doi", 0);

    for (const CapsGuest& g : guests) {
        pugi::xml_node n = root.append_child("guest");
        add_text(n, "os_type", g.os_type);
        pugi::xml_node arch = n.append_child("arch");
        set_attr(arch, "name", g.arch);
        add_text(arch, "wordsize", g.wordsize);
        add_text(arch, "emulator", g.emulator);
        for (const CapsMachine& m : g.machines)
            set_attr(add_text(arch, "machine", m.name), "maxCpus", m.max_cpus);
        for (const std::string& t : g.domain_types)
            set_attr(arch.append_child("domain"), "type", t);
    }
    return format_xml(doc);
}

} // namespace virtd::conf
