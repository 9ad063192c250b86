// WatchdogDef: a domain's <watchdog>.
//
// The engine has no watchdog device. libvirt's syntax is accepted and kept so that existing
// definitions load and round-trip; the hypervisor driver refuses to start a domain whose
// watchdog it cannot provide (model and action are checked there, not here).
#pragma once

#include <optional>

#include <pugixml.hpp>

#include "common/enum_table.h"
#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class WatchdogModel { I6300esb, Ib700, Diag288, Last = Diag288 };
inline constexpr auto kWatchdogModels =
    make_enum_table<WatchdogModel>("i6300esb", "ib700", "diag288");

enum class WatchdogAction {
    Reset,
    Shutdown,
    Poweroff,
    Pause,
    None,
    Dump,
    InjectNmi,
    Last = InjectNmi
};
inline constexpr auto kWatchdogActions = make_enum_table<WatchdogAction>(
    "reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi");

struct WatchdogDef {
    WatchdogModel model = WatchdogModel::I6300esb;
    std::optional<WatchdogAction> action;
    std::optional<DeviceAddress> address;

    bool operator==(const WatchdogDef&) const = default;

    static WatchdogDef read(const XmlElement& e);
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
