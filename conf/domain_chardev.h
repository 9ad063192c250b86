// ChardevDef: a domain's character devices: <serial>, <console> and <channel>. One struct serves
// all three because libvirt gives them the same source syntax; the element name is `kind`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pugixml.hpp>

#include "common/enum_table.h"
#include "conf/domain_address.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

enum class ChardevKind { Serial, Console, Channel, Last = Channel };
inline constexpr auto kChardevKinds = make_enum_table<ChardevKind>("serial", "console", "channel");

// Where the host end goes: a pseudo-terminal, a unix socket, or a file (output only).
enum class ChardevType { Pty, Unix, File, Last = File };
inline constexpr auto kChardevTypes = make_enum_table<ChardevType>("pty", "unix", "file");

enum class UnixMode { Bind, Connect, Last = Connect };
inline constexpr auto kUnixModes = make_enum_table<UnixMode>("bind", "connect");

// <target type>: serial isa-serial|system-serial; console serial|virtio; channel virtio.
enum class ChardevTarget { IsaSerial, SystemSerial, Serial, Virtio, Last = Virtio };
inline constexpr auto kChardevTargets =
    make_enum_table<ChardevTarget>("isa-serial", "system-serial", "serial", "virtio");

enum class ChannelState { Connected, Disconnected, Last = Disconnected };
inline constexpr auto kChannelStates = make_enum_table<ChannelState>("connected", "disconnected");

struct ChardevDef {
    ChardevKind kind = ChardevKind::Serial; // the element name
    ChardevType type = ChardevType::Pty;
    std::optional<std::string> source_path; // unix and file: required; pty: as reported live
    std::optional<UnixMode> source_mode;    // unix only
    std::optional<std::string> log_file;
    std::optional<bool> log_append;
    std::optional<ChardevTarget> target_type;
    std::optional<uint32_t> target_port;
    std::optional<std::string> target_model; // serial: <model name='16550a'/>
    std::optional<std::string> target_name;  // channel: the port name the guest sees
    std::optional<ChannelState> target_state;
    std::optional<DeviceAddress> address;

    bool operator==(const ChardevDef&) const = default;

    // Reads one <serial>, <console> or <channel>; problems are reported through the element.
    static ChardevDef read(const XmlElement& e);
    // Appends the element named after `kind` to <devices>.
    void write(pugi::xml_node devices) const;
};

} // namespace virtd::conf
