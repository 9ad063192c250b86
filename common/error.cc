#include "common/error.h"

#include <array>
#include <cstring>

namespace virtd {
namespace {

struct CodeInfo {
    std::string_view name;
    std::string_view summary;
};

// Indexed by ErrorCode; one row per libvirt code, warnings included so the index stays dense.
constexpr std::array<CodeInfo, static_cast<size_t>(ErrorCode::Last) + 1> kCodes = {{
    // clang-format off
    {"VIR_ERR_OK", "no error"},
    {"VIR_ERR_INTERNAL_ERROR", "internal error"},
    {"VIR_ERR_NO_MEMORY", "out of memory"},
    {"VIR_ERR_NO_SUPPORT", "this function is not supported by the connection driver"},
    {"VIR_ERR_UNKNOWN_HOST", "unknown host"},
    {"VIR_ERR_NO_CONNECT", "no connection driver available"},
    {"VIR_ERR_INVALID_CONN", "invalid connection pointer"},
    {"VIR_ERR_INVALID_DOMAIN", "invalid domain pointer"},
    {"VIR_ERR_INVALID_ARG", "invalid argument"},
    {"VIR_ERR_OPERATION_FAILED", "operation failed"},
    {"VIR_ERR_GET_FAILED", "GET operation failed"},
    {"VIR_ERR_POST_FAILED", "POST operation failed"},
    {"VIR_ERR_HTTP_ERROR", "HTTP error"},
    {"VIR_ERR_SEXPR_SERIAL", "failed to serialize S-Expr"},
    {"VIR_ERR_NO_XEN", "could not use Xen hypervisor entry"},
    {"VIR_ERR_XEN_CALL", "failed Xen syscall"},
    {"VIR_ERR_OS_TYPE", "unknown OS type"},
    {"VIR_ERR_NO_KERNEL", "missing kernel information"},
    {"VIR_ERR_NO_ROOT", "missing root device information"},
    {"VIR_ERR_NO_SOURCE", "missing source information"},
    {"VIR_ERR_NO_TARGET", "missing target information"},
    {"VIR_ERR_NO_NAME", "missing name information"},
    {"VIR_ERR_NO_OS", "missing operating system information"},
    {"VIR_ERR_NO_DEVICE", "missing device information"},
    {"VIR_ERR_NO_XENSTORE", "could not connect to Xen Store"},
    {"VIR_ERR_DRIVER_FULL", "too many drivers registered"},
    {"VIR_ERR_CALL_FAILED", "library call failed"},
    {"VIR_ERR_XML_ERROR", "XML description is invalid or not well formed"},
    {"VIR_ERR_DOM_EXIST", "this domain exists already"},
    {"VIR_ERR_OPERATION_DENIED", "operation forbidden for read only access"},
    {"VIR_ERR_OPEN_FAILED", "failed to open configuration file"},
    {"VIR_ERR_READ_FAILED", "failed to read configuration file"},
    {"VIR_ERR_PARSE_FAILED", "failed to parse configuration file"},
    {"VIR_ERR_CONF_SYNTAX", "configuration file syntax error"},
    {"VIR_ERR_WRITE_FAILED", "failed to write configuration file"},
    {"VIR_ERR_XML_DETAIL", "parser error"},
    {"VIR_ERR_INVALID_NETWORK", "invalid network pointer"},
    {"VIR_ERR_NETWORK_EXIST", "this network exists already"},
    {"VIR_ERR_SYSTEM_ERROR", "system call error"},
    {"VIR_ERR_RPC", "RPC error"},
    {"VIR_ERR_GNUTLS_ERROR", "GNUTLS call error"},
    {"VIR_WAR_NO_NETWORK", "failed to start network"},
    {"VIR_ERR_NO_DOMAIN", "Domain not found"},
    {"VIR_ERR_NO_NETWORK", "Network not found"},
    {"VIR_ERR_INVALID_MAC", "invalid MAC address"},
    {"VIR_ERR_AUTH_FAILED", "authentication failed"},
    {"VIR_ERR_INVALID_STORAGE_POOL", "invalid storage pool pointer"},
    {"VIR_ERR_INVALID_STORAGE_VOL", "invalid storage volume pointer"},
    {"VIR_WAR_NO_STORAGE", "failed to start storage"},
    {"VIR_ERR_NO_STORAGE_POOL", "Storage pool not found"},
    {"VIR_ERR_NO_STORAGE_VOL", "Storage volume not found"},
    {"VIR_WAR_NO_NODE", "failed to start node driver"},
    {"VIR_ERR_INVALID_NODE_DEVICE", "invalid node device pointer"},
    {"VIR_ERR_NO_NODE_DEVICE", "Node device not found"},
    {"VIR_ERR_NO_SECURITY_MODEL", "Security model not found"},
    {"VIR_ERR_OPERATION_INVALID", "Requested operation is not valid"},
    {"VIR_WAR_NO_INTERFACE", "Failed to find the interface"},
    {"VIR_ERR_NO_INTERFACE", "Interface not found"},
    {"VIR_ERR_INVALID_INTERFACE", "invalid interface pointer"},
    {"VIR_ERR_MULTIPLE_INTERFACES", "multiple matching interfaces found"},
    {"VIR_WAR_NO_NWFILTER", "Failed to start the nwfilter driver"},
    {"VIR_ERR_INVALID_NWFILTER", "Invalid network filter"},
    {"VIR_ERR_NO_NWFILTER", "Network filter not found"},
    {"VIR_ERR_BUILD_FIREWALL", "Error while building firewall"},
    {"VIR_WAR_NO_SECRET", "Failed to find a secret storage driver"},
    {"VIR_ERR_INVALID_SECRET", "Invalid secret"},
    {"VIR_ERR_NO_SECRET", "Secret not found"},
    {"VIR_ERR_CONFIG_UNSUPPORTED", "unsupported configuration"},
    {"VIR_ERR_OPERATION_TIMEOUT", "Timed out during operation"},
    {"VIR_ERR_MIGRATE_PERSIST_FAILED", "Failed to make domain persistent after migration"},
    {"VIR_ERR_HOOK_SCRIPT_FAILED", "Hook script execution failed"},
    {"VIR_ERR_INVALID_DOMAIN_SNAPSHOT", "Invalid snapshot"},
    {"VIR_ERR_NO_DOMAIN_SNAPSHOT", "Domain snapshot not found"},
    {"VIR_ERR_INVALID_STREAM", "invalid stream pointer"},
    {"VIR_ERR_ARGUMENT_UNSUPPORTED", "argument unsupported"},
    {"VIR_ERR_STORAGE_PROBE_FAILED", "Storage pool probe failed"},
    {"VIR_ERR_STORAGE_POOL_BUILT", "Storage pool already built"},
    {"VIR_ERR_SNAPSHOT_REVERT_RISKY", "revert requires force"},
    {"VIR_ERR_OPERATION_ABORTED", "operation aborted"},
    {"VIR_ERR_AUTH_CANCELLED", "authentication cancelled"},
    {"VIR_ERR_NO_DOMAIN_METADATA", "metadata not found"},
    {"VIR_ERR_MIGRATE_UNSAFE", "Unsafe migration"},
    {"VIR_ERR_OVERFLOW", "numerical overflow"},
    {"VIR_ERR_BLOCK_COPY_ACTIVE", "block copy still active"},
    {"VIR_ERR_OPERATION_UNSUPPORTED", "Operation not supported"},
    {"VIR_ERR_SSH", "SSH transport error"},
    {"VIR_ERR_AGENT_UNRESPONSIVE", "Guest agent is not responding"},
    {"VIR_ERR_RESOURCE_BUSY", "resource busy"},
    {"VIR_ERR_ACCESS_DENIED", "access denied"},
    {"VIR_ERR_DBUS_SERVICE", "error from service"},
    {"VIR_ERR_STORAGE_VOL_EXIST", "this storage volume exists already"},
    {"VIR_ERR_CPU_INCOMPATIBLE", "the CPU is incompatible with host CPU"},
    {"VIR_ERR_XML_INVALID_SCHEMA", "XML document failed to validate against schema"},
    {"VIR_ERR_MIGRATE_FINISH_OK", "migration successfully completed"},
    {"VIR_ERR_AUTH_UNAVAILABLE", "authentication unavailable"},
    {"VIR_ERR_NO_SERVER", "Server not found"},
    {"VIR_ERR_NO_CLIENT", "Client not found"},
    {"VIR_ERR_AGENT_UNSYNCED", "guest agent replied with wrong id to guest-sync command"},
    {"VIR_ERR_LIBSSH", "libssh transport error"},
    {"VIR_ERR_DEVICE_MISSING", "device not found"},
    {"VIR_ERR_INVALID_NWFILTER_BINDING", "Invalid network filter binding"},
    {"VIR_ERR_NO_NWFILTER_BINDING", "Network filter binding not found"},
    {"VIR_ERR_INVALID_DOMAIN_CHECKPOINT", "Invalid checkpoint"},
    {"VIR_ERR_NO_DOMAIN_CHECKPOINT", "Domain checkpoint not found"},
    {"VIR_ERR_NO_DOMAIN_BACKUP", "Domain backup job id not found"},
    {"VIR_ERR_INVALID_NETWORK_PORT", "Invalid network port pointer"},
    {"VIR_ERR_NETWORK_PORT_EXIST", "this network port exists already"},
    {"VIR_ERR_NO_NETWORK_PORT", "network port not found"},
    {"VIR_ERR_NO_HOSTNAME", "no hostname found"},
    {"VIR_ERR_CHECKPOINT_INCONSISTENT", "checkpoint inconsistent"},
    {"VIR_ERR_MULTIPLE_DOMAINS", "multiple matching domains found"},
    {"VIR_ERR_NO_NETWORK_METADATA", "metadata not found"},
    // clang-format on
}};

const CodeInfo* code_info(ErrorCode code) {
    auto i = static_cast<size_t>(code);
    return i < kCodes.size() ? &kCodes[i] : nullptr;
}

} // namespace

std::string_view error_code_name(ErrorCode code) {
    const CodeInfo* info = code_info(code);
    return info ? info->name : "VIR_ERR_UNKNOWN";
}

std::string_view error_code_summary(ErrorCode code) {
    const CodeInfo* info = code_info(code);
    return info ? info->summary : "unknown error";
}

std::string Error::text() const {
    if (message_.empty()) return std::string(error_code_summary(code_));
    return fmt::format("{}: {}", error_code_summary(code_), message_);
}

Error Error::with_context(std::string_view context) const {
    return Error(code_, domain_, fmt::format("{}: {}", context, message_), level_);
}

Error system_error(ErrorDomain domain, int errnum, std::string_view what) {
    char buf[256];
    const char* text = strerror_r(errnum, buf, sizeof buf);
    return Error(ErrorCode::SystemError, domain, fmt::format("{}: {}", what, text));
}

} // namespace virtd
