// The list filters libvirt's listAll calls for pools and networks share
// (virConnectListAllStoragePoolsFlags, virConnectListAllNetworksFlags), and the filter every
// driver applies with them.
#pragma once

namespace virtd {

// libvirt's list flags for pools and networks (0 = all).
namespace object_list {
inline constexpr unsigned kInactive = 1;
inline constexpr unsigned kActive = 2;
inline constexpr unsigned kPersistent = 4;
inline constexpr unsigned kTransient = 8;
inline constexpr unsigned kAutostart = 16;
inline constexpr unsigned kNoAutostart = 32;

// Whether an object with these properties passes the flags' filters.
inline bool matches(unsigned flags, bool active, bool persistent, bool autostart) {
    auto pass = [flags](unsigned yes, unsigned no, bool value) {
        return !(flags & (yes | no)) || ((flags & yes) && value) || ((flags & no) && !value);
    };
    return pass(kActive, kInactive, active) && pass(kPersistent, kTransient, persistent) &&
           pass(kAutostart, kNoAutostart, autostart);
}
} // namespace object_list

} // namespace virtd
