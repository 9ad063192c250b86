// <os>, <features>, <clock> and the on_poweroff/on_reboot/on_crash actions of a domain.
#include "conf/domain_parts.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

enum class BootDev { Hd, Network, Cdrom, Fd, Last = Fd };
constexpr auto kBootDevs = make_enum_table<BootDev>("hd", "network", "cdrom", "fd");

void read_os(const XmlElement& os, DomainDef& d) {
    if (XmlElement type = os.required_child("type")) {
        if (std::string t = type.text(); t != "hvm")
            type.error(fmt::format("unsupported OS type '{}' (expected hvm)", t));
        d.os.arch = type.attr("arch");
        if (d.os.arch && *d.os.arch != "riscv64")
            type.error(fmt::format("unsupported architecture '{}' (expected riscv64)", *d.os.arch));
        d.os.machine = type.attr("machine");
        if (d.os.machine && *d.os.machine != "virt")
            type.error(fmt::format("unsupported machine '{}' (expected virt)", *d.os.machine));
    }
    auto path = [&](const char* name) -> std::optional<std::string> {
        XmlElement e = os.child(name);
        if (!e) return std::nullopt;
        return e.required_text();
    };
    d.os.kernel = path("kernel");
    d.os.initrd = path("initrd");
    if (XmlElement cmdline = os.child("cmdline")) d.os.cmdline = cmdline.text();
    d.os.dtb = path("dtb");
    if (d.os.initrd && !d.os.kernel) os.error("initrd requires a kernel");
    if (d.os.cmdline && !d.os.kernel) os.error("cmdline requires a kernel");
    for (const XmlElement& boot : os.children("boot")) {
        if (std::optional<BootDev> dev = boot.required_enum("dev", kBootDevs))
            d.os.boot_devs.emplace_back(kBootDevs.name(*dev));
    }
}

void write_os(pugi::xml_node root, const OsDef& os) {
    pugi::xml_node n = root.append_child("os");
    pugi::xml_node type = add_text(n, "type", "hvm");
    set_attr(type, "arch", os.arch);
    set_attr(type, "machine", os.machine);
    if (os.kernel) add_text(n, "kernel", *os.kernel);
    if (os.initrd) add_text(n, "initrd", *os.initrd);
    if (os.cmdline) add_text(n, "cmdline", *os.cmdline);
    if (os.dtb) add_text(n, "dtb", *os.dtb);
    for (const std::string& dev : os.boot_devs)
        set_attr(n.append_child("boot"), "dev", dev);
}

void read_features(const XmlElement& e, DomainDef& d) {
    for (const XmlElement& f : e.all_children()) {
        f.take();
        std::optional<Feature> name = kFeatures.parse(f.name());
        if (!name) {
            f.error(fmt::format("unknown feature (expected one of: {})", kFeatures.list()));
            f.take(true);
            continue;
        }
        for (const FeatureDef& seen : d.features)
            if (seen.name == *name) f.error("feature given more than once");
        d.features.push_back({*name, f.attr_on_off("state")});
    }
}

ClockDef read_clock(const XmlElement& e) {
    ClockDef c;
    c.offset = e.attr_enum("offset", kClockOffsets).value_or(ClockOffset::Utc);
    c.adjustment = e.attr_int("adjustment", -(1LL << 40), 1LL << 40);
    c.basis = e.attr("basis");
    if (c.basis && *c.basis != "utc" && *c.basis != "localtime")
        e.error(fmt::format("attribute 'basis': unknown value '{}' (expected one of: utc, "
                            "localtime)",
                            *c.basis));
    if ((c.adjustment || c.basis) && c.offset != ClockOffset::Variable)
        e.error("adjustment and basis need offset='variable'");
    for (const XmlElement& t : e.children("timer")) {
        TimerDef timer;
        timer.name = t.required_enum("name", kTimerNames).value_or(TimerName::Rtc);
        timer.present = t.attr_yes_no("present");
        timer.tickpolicy = t.attr_enum("tickpolicy", kTickPolicies);
        c.timers.push_back(timer);
    }
    return c;
}

void write_clock(pugi::xml_node root, const ClockDef& c) {
    pugi::xml_node n = root.append_child("clock");
    set_attr(n, "offset", kClockOffsets.name(c.offset));
    set_attr(n, "adjustment", c.adjustment);
    set_attr(n, "basis", c.basis);
    for (const TimerDef& t : c.timers) {
        pugi::xml_node timer = n.append_child("timer");
        set_attr(timer, "name", kTimerNames.name(t.name));
        if (t.tickpolicy) set_attr(timer, "tickpolicy", kTickPolicies.name(*t.tickpolicy));
        set_yes_no(timer, "present", t.present);
    }
}

std::optional<LifecycleAction> read_action(const XmlElement& root, const char* name) {
    XmlElement e = root.child(name);
    if (!e) return std::nullopt;
    std::optional<LifecycleAction> a = e.text_enum(kLifecycleActions);
    bool coredump = a == LifecycleAction::CoredumpDestroy || a == LifecycleAction::CoredumpRestart;
    if (coredump && std::string_view(name) != "on_crash")
        e.error(fmt::format("'{}' is only allowed in on_crash", kLifecycleActions.name(*a)));
    return a;
}

} // namespace

void read_domain_os(const XmlElement& root, DomainDef& d) {
    if (XmlElement os = root.required_child("os")) read_os(os, d);
    if (XmlElement features = root.child("features")) read_features(features, d);
    if (XmlElement clock = root.child("clock")) d.clock = read_clock(clock);
    d.on_poweroff = read_action(root, "on_poweroff");
    d.on_reboot = read_action(root, "on_reboot");
    d.on_crash = read_action(root, "on_crash");
}

void write_domain_os(pugi::xml_node root, const DomainDef& d) {
    write_os(root, d.os);
    if (!d.features.empty()) {
        pugi::xml_node n = root.append_child("features");
        for (const FeatureDef& f : d.features)
            set_on_off(n.append_child(std::string(kFeatures.name(f.name)).c_str()), "state",
                       f.state);
    }
    if (d.clock) write_clock(root, *d.clock);
    auto action = [&](const char* name, const std::optional<LifecycleAction>& a) {
        if (a) add_text(root, name, kLifecycleActions.name(*a));
    };
    action("on_poweroff", d.on_poweroff);
    action("on_reboot", d.on_reboot);
    action("on_crash", d.on_crash);
}

} // namespace virtd::conf
