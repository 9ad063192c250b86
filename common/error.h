// Error: the one error type every layer of virtd returns, carrying libvirt's numbers.
//
// Codes, domains and levels use libvirt's virErrorNumber / virErrorDomain / virErrorLevel values so
// the RPC layer can hand them to stock clients unchanged. The message names the object and the
// problem ("domain 'web1' is already running"). Errors are values: there is no thread-local
// "last error". Thread safety: plain values, safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace virtd {

// libvirt's virErrorNumber. Gaps are libvirt's warning codes (VIR_WAR_*), which no call returns.
enum class ErrorCode : int {
    Ok = 0,
    InternalError = 1,
    NoMemory = 2,
    NoSupport = 3,
    UnknownHost = 4,
    NoConnect = 5,
    InvalidConn = 6,
    InvalidDomain = 7,
    InvalidArg = 8,
    OperationFailed = 9,
    GetFailed = 10,
    PostFailed = 11,
    HttpError = 12,
    SexprSerial = 13,
    NoXen = 14,
    XenCall = 15,
    OsType = 16,
    NoKernel = 17,
    NoRoot = 18,
    NoSource = 19,
    NoTarget = 20,
    NoName = 21,
    NoOs = 22,
    NoDevice = 23,
    NoXenstore = 24,
    DriverFull = 25,
    CallFailed = 26,
    XmlError = 27,
    DomExist = 28,
    OperationDenied = 29,
    OpenFailed = 30,
    ReadFailed = 31,
    ParseFailed = 32,
    ConfSyntax = 33,
    WriteFailed = 34,
    XmlDetail = 35,
    InvalidNetwork = 36,
    NetworkExist = 37,
    SystemError = 38,
    Rpc = 39,
    GnutlsError = 40,
    NoDomain = 42,
    NoNetwork = 43,
    InvalidMac = 44,
    AuthFailed = 45,
    InvalidStoragePool = 46,
    InvalidStorageVol = 47,
    NoStoragePool = 49,
    NoStorageVol = 50,
    InvalidNodeDevice = 52,
    NoNodeDevice = 53,
    NoSecurityModel = 54,
    OperationInvalid = 55,
    NoInterface = 57,
    InvalidInterface = 58,
    MultipleInterfaces = 59,
    InvalidNwfilter = 61,
    NoNwfilter = 62,
    BuildFirewall = 63,
    InvalidSecret = 65,
    NoSecret = 66,
    ConfigUnsupported = 67,
    OperationTimeout = 68,
    MigratePersistFailed = 69,
    HookScriptFailed = 70,
    InvalidDomainSnapshot = 71,
    NoDomainSnapshot = 72,
    InvalidStream = 73,
    ArgumentUnsupported = 74,
    StorageProbeFailed = 75,
    StoragePoolBuilt = 76,
    SnapshotRevertRisky = 77,
    OperationAborted = 78,
    AuthCancelled = 79,
    NoDomainMetadata = 80,
    MigrateUnsafe = 81,
    Overflow = 82,
    BlockCopyActive = 83,
    OperationUnsupported = 84,
    Ssh = 85,
    AgentUnresponsive = 86,
    ResourceBusy = 87,
    AccessDenied = 88,
    DbusService = 89,
    StorageVolExist = 90,
    CpuIncompatible = 91,
    XmlInvalidSchema = 92,
    MigrateFinishOk = 93,
    AuthUnavailable = 94,
    NoServer = 95,
    NoClient = 96,
    AgentUnsynced = 97,
    Libssh = 98,
    DeviceMissing = 99,
    InvalidNwfilterBinding = 100,
    NoNwfilterBinding = 101,
    InvalidDomainCheckpoint = 102,
    NoDomainCheckpoint = 103,
    NoDomainBackup = 104,
    InvalidNetworkPort = 105,
    NetworkPortExist = 106,
    NoNetworkPort = 107,
    NoHostname = 108,
    CheckpointInconsistent = 109,
    MultipleDomains = 110,
    NoNetworkMetadata = 111,
    Last = NoNetworkMetadata,
};

// libvirt's virErrorDomain: which part of the system raised the error. Only the ones virtd uses.
enum class ErrorDomain : int {
    None = 0,
    Xml = 5,
    Dom = 6,
    Rpc = 7,
    Conf = 9,
    Qemu = 10,
    Remote = 13,
    Storage = 18,
    Network = 19,
    Domain = 20,
    NodeDev = 22,
    Security = 24,
    Secret = 30,
    DomainSnapshot = 35,
    Streams = 38,
    Event = 40,
    Capabilities = 44,
    Uri = 45,
    Auth = 46,
    Dbus = 47,
    Device = 49,
    Access = 55,
    Firewall = 59,
    Thread = 61,
    Admin = 62,
    Logging = 63,
};

// libvirt's virErrorLevel.
enum class ErrorLevel : int { None = 0, Warning = 1, Error = 2 };

// libvirt's C name for a code ("VIR_ERR_NO_DOMAIN"), or "VIR_ERR_UNKNOWN" for a gap.
std::string_view error_code_name(ErrorCode code);

// A short summary of what a code means, the prefix clients print before the detail
// ("Domain not found", "Requested operation is not valid").
std::string_view error_code_summary(ErrorCode code);

class Error {
public:
    Error(ErrorCode code, ErrorDomain domain, std::string message,
          ErrorLevel level = ErrorLevel::Error)
        : code_(code)
        , domain_(domain)
        , level_(level)
        , message_(std::move(message)) {}

    ErrorCode code() const { return code_; }
    ErrorDomain domain() const { return domain_; }
    ErrorLevel level() const { return level_; }
    // The detail: names the object and the problem.
    const std::string& message() const { return message_; }
    // What a user sees: the code's summary, then the detail ("Domain not found: no domain 'x'").
    std::string text() const;

    // A copy whose message is prefixed with context ("reading '/etc/x': " + message).
    Error with_context(std::string_view context) const;

    bool operator==(const Error&) const = default;

private:
    ErrorCode code_;
    ErrorDomain domain_;
    ErrorLevel level_;
    std::string message_;
};

// Builds an Error with a fmt-formatted message.
template <typename... Args>
Error make_error(ErrorCode code, ErrorDomain domain, fmt::format_string<Args...> format,
                 Args&&... args) {
    return Error(code, domain, fmt::format(format, std::forward<Args>(args)...));
}

// An Error for a failed system call, with strerror(errnum) appended to the message.
Error system_error(ErrorDomain domain, int errnum, std::string_view what);

// Result<T>: either a T or an Error. Functions that can fail return this instead of throwing.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value)
        : v_(std::move(value)) {} // NOLINT(google-explicit-constructor)
    Result(Error error)
        : v_(std::move(error)) {} // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success, or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : err_(std::move(error)) {} // NOLINT(google-explicit-constructor)

    bool ok() const { return !err_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *err_; }

private:
    std::optional<Error> err_;
};

using Status = Result<void>;

} // namespace virtd
