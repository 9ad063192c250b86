// CallContext: who is calling, as the transport knows it; passed to every procedure handler.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "rpc/client_info.h"

namespace virtd::rpc {

struct CallContext {
    uint64_t client_id = 0; // unique per connection for the life of the server
    bool readonly = false;  // the client came in through the read-only socket or asked for RO
    bool secure = true;     // a local unix socket (later: TLS); plain TCP is not
    uint32_t serial = 0;    // the call's serial and procedure: a stream the call opens goes by
    int32_t proc = 0;       // them
    const ClientInfo* client =
        nullptr;                   // who calls: the access policy's input; valid during the call
    const void* session = nullptr; // the handler's own per-connection state, if it keeps one
};

// Flags in ProcedureInfo, from the attributes in remote_protocol.def.
inline constexpr unsigned kProcPreOpen = 1;  // allowed before CONNECT_OPEN
inline constexpr unsigned kProcReadOnly = 2; // allowed on a read-only connection
inline constexpr unsigned kProcStream = 4;   // opens a data stream
inline constexpr unsigned kProcFast = 8;     // answered from memory: may run on the loop thread

// Access control: the kinds of object a permission is about (libvirt's ACL object types; a
// snapshot is checked as its domain).
enum class AclObject : uint8_t { Connect, Domain, Network, StoragePool, StorageVol };

// One permission, libvirt-style: `domain:start` is {AclObject::Domain, "start"}.
struct AclPermission {
    AclObject object;
    const char* perm;
};

// One permission check dispatch asks for, on the object the procedure acts on.
struct AclCheck {
    AclObject object;
    const char* perm;
    std::string_view name;   // the object's name; empty when not known (connect, restore)
    std::string_view parent; // storage_vol: its pool's name
    std::string_view xml;    // a new object described by XML: its <name> is the object's name
};

struct ProcedureInfo {
    int32_t number;
    const char* name;
    unsigned flags;
    const char* api; // the libvirt API it serves, for messages: "virDomainDefineXML"
    std::span<const AclPermission> acl;    // every permission the call needs (acl= in the .def)
    std::span<const AclPermission> filter; // list calls: what the caller must hold on each
                                           // object for it to be listed (filter= in the .def)
};

} // namespace virtd::rpc
