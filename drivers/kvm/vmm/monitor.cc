#include "drivers/kvm/vmm/monitor.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

#ifndef VIRTD_VERSION
#define VIRTD_VERSION "0.0.0"
#endif

namespace virtd::vmm {
namespace {

constexpr std::string_view kLog = "vmm.monitor";
constexpr size_t kReadChunk = size_t{64} * 1024;
constexpr size_t kMaxDepth = 64;

// Handlers may put arbitrary bytes in strings; replacing invalid UTF-8 keeps the reply valid JSON
// instead of throwing on the monitor thread.
std::string dump(const Monitor::Json& j) {
    return j.dump(-1, ' ', false, Monitor::Json::error_handler_t::replace);
}

// The envelope is assembled by hand so its members come in the documented order (nlohmann's
// objects sort their keys, which would put "id" first).
std::string reply_line(const std::string& body_key, const Monitor::Json& body,
                       const Monitor::Json* id) {
    std::string line = fmt::format("{{\"{}\":{}", body_key, dump(body));
    if (id) line += fmt::format(",\"id\":{}", dump(*id));
    line += '}';
    return line;
}

std::string error_line(std::string_view cls, std::string_view desc, const Monitor::Json* id) {
    return reply_line("error", Monitor::Json{{"class", cls}, {"desc", desc}}, id);
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; users need the rest.
std::string json_problem(const std::exception& e) {
    std::string_view what = e.what();
    if (what.starts_with("[json.exception.")) {
        size_t end = what.find("] ");
        if (end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    return std::string(what);
}

// How deeply arrays and objects nest in a JSON text (strings skipped). Checked before parsing:
// serialising a value is recursive, so echoing a 500 000-level "id" would overflow the stack.
size_t nesting_depth(std::string_view text) {
    size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char ch : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (ch == '\\')
                escaped = true;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
    }
    return deepest;
}

bool blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

Result<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return make_error(ErrorCode::InvalidArg, ErrorDomain::None,
                          "monitor socket '{}': the path must have 1 to {} bytes", path,
                          sizeof addr.sun_path - 1);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

// A socket file nobody accepts on is left over from a VMM that died; one that answers belongs to
// a running VMM, whose monitor we must not steal.
Status remove_stale_socket(const std::string& path, const sockaddr_un& addr) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) {
        if (errno == ENOENT) return {};
        return system_error(ErrorDomain::None, errno, fmt::format("monitor socket '{}'", path));
    }
    if (!S_ISSOCK(st.st_mode))
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::None,
                          "monitor socket '{}': the file exists and is not a socket", path);
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
        return make_error(ErrorCode::ResourceBusy, ErrorDomain::None,
                          "monitor socket '{}': another process is listening on it", path);
    if (::unlink(path.c_str()) < 0 && errno != ENOENT)
        return system_error(ErrorDomain::None, errno,
                            fmt::format("removing the stale monitor socket '{}'", path));
    return {};
}

} // namespace

// One connected client. `in` holds the start of a line not yet terminated; `out` what the socket
// has not taken yet.
struct Monitor::Client {
    UniqueFd fd;
    uint64_t id = 0;
    std::string in;
    std::string out;
    uint32_t armed = EPOLLIN; // the events the loop watches for
    bool closing = false;     // no more input; close once `out` is written
    bool dead = false;        // to be removed by reap()
};

std::string_view monitor_error_class(ErrorCode code) {
    switch (code) {
    case ErrorCode::InvalidArg:
    case ErrorCode::ArgumentUnsupported:
        return "InvalidArgument";
    case ErrorCode::NoDevice:
    case ErrorCode::DeviceMissing:
    case ErrorCode::NoNodeDevice:
    case ErrorCode::NoInterface:
        return "DeviceNotFound";
    default:
        return "GenericError";
    }
}

Monitor::Monitor(std::string path)
    : path_(std::move(path)) {
    commands_["query-commands"] = [this](const Json&) -> Result<Json> {
        Json names = Json::array();
        for (const auto& [name, handler] : commands_)
            names.push_back({{"name", name}});
        return names;
    };
}

Result<std::unique_ptr<Monitor>> Monitor::listen(const std::string& path) {
    Result<sockaddr_un> addr = unix_address(path);
    if (!addr) return addr.error();
    if (Status s = remove_stale_socket(path, *addr); !s) return s.error();

    std::unique_ptr<Monitor> m(new Monitor(path));
    m->listen_fd_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!m->listen_fd_)
        return system_error(ErrorDomain::None, errno, "creating the monitor socket");
    // Linux gives the socket file the socket inode's mode at bind(), so the file is never
    // reachable by others, not even between bind() and chmod().
    (void)::fchmod(m->listen_fd_.get(), 0600);
    if (::bind(m->listen_fd_.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) < 0)
        return system_error(ErrorDomain::None, errno,
                            fmt::format("binding the monitor socket '{}'", path));
    struct stat st {};
    if (::chmod(path.c_str(), 0600) < 0 || ::stat(path.c_str(), &st) < 0 ||
        ::listen(m->listen_fd_.get(), static_cast<int>(kMaxClients)) < 0) {
        int err = errno;
        ::unlink(path.c_str());
        return system_error(ErrorDomain::None, err,
                            fmt::format("listening on the monitor socket '{}'", path));
    }
    m->dev_ = st.st_dev;
    m->ino_ = st.st_ino;
    Monitor* raw = m.get();
    if (Status s =
            m->loop_.add_fd(m->listen_fd_.get(), EPOLLIN, [raw](uint32_t) { raw->on_accept(); });
        !s)
        return s.error();
    return m;
}

Monitor::~Monitor() {
    loop_.stop();
    if (thread_.joinable()) thread_.join();
    clients_.clear();
    listen_fd_.reset();
    struct stat st {};
    if (!path_.empty() && ::stat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_)
        ::unlink(path_.c_str());
}

void Monitor::add_command(std::string name, Handler handler) {
    if (started_) {
        log::error(kLog, "command '{}' registered after the monitor started; ignored", name);
        return;
    }
    commands_[std::move(name)] = std::move(handler);
}

Status Monitor::start() {
    if (started_)
        return make_error(ErrorCode::OperationInvalid, ErrorDomain::None,
                          "the monitor on '{}' is already serving", path_);
    started_ = true;
    thread_ = std::thread([this] { loop_.run(); });
    log::info(kLog, "monitor listening on {}", path_);
    return {};
}

void Monitor::close() {
    if (!thread_.joinable()) return;
    // Posted after the events, so they are broadcast before the loop stops.
    loop_.post([this] { loop_.stop(); });
    thread_.join();
}

void Monitor::emit(const std::string& event, const Json& data) {
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
    std::string line = fmt::format(
        "{{\"event\":{},\"data\":{},\"timestamp\":{{\"seconds\":{},\"microseconds\":{}}}}}",
        dump(Json(event)), dump(data), micros / 1000000, micros % 1000000);
    loop_.post([this, line = std::move(line)] { broadcast(line); });
}

void Monitor::on_accept() {
    for (;;) {
        UniqueFd fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!fd) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log::warning(kLog, "accepting a monitor client: {}", std::strerror(errno));
            return;
        }
        if (clients_.size() >= kMaxClients) {
            // Best effort: a fresh socket's buffer always has room for one short line.
            std::string line =
                error_line("GenericError",
                           fmt::format("too many monitor clients (at most {})", kMaxClients),
                           nullptr) +
                '\n';
            (void)!::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            log::warning(kLog, "refused a monitor client: {} are connected", clients_.size());
            continue;
        }
        auto c = std::make_unique<Client>();
        c->id = next_client_id_++;
        int raw_fd = fd.get();
        uint64_t id = c->id;
        if (Status s = loop_.add_fd(raw_fd, EPOLLIN,
                                    [this, raw_fd, id](uint32_t ev) { on_client(raw_fd, id, ev); });
            !s) {
            log::warning(kLog, "monitor client: {}", s.error().message());
            continue;
        }
        c->fd = std::move(fd);
        Client& client = *c;
        clients_[raw_fd] = std::move(c);
        log::debug(kLog, "monitor client {} connected", id);
        send(client, fmt::format(R"({{"virtd-vmm":{{"version":{},"pid":{}}},"capabilities":[]}})",
                                 dump(Json(VIRTD_VERSION)), ::getpid()));
        reap();
    }
}

void Monitor::on_client(int fd, uint64_t id, uint32_t events) {
    auto it = clients_.find(fd);
    // The descriptor may have been closed and reused by a newer client within one epoll batch.
    if (it == clients_.end() || it->second->id != id) return;
    Client& c = *it->second;
    if (events & EPOLLOUT) flush(c);
    if (!c.dead && !c.closing && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) handle_input(c);
    if (!c.dead && c.closing && c.out.empty()) c.dead = true;
    if (!c.dead && c.closing && (events & (EPOLLHUP | EPOLLERR))) c.dead = true;
    reap();
}

void Monitor::handle_input(Client& c) {
    char buf[kReadChunk];
    ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        log::debug(kLog, "monitor client {}: {}", c.id, std::strerror(errno));
        c.dead = true;
        return;
    }
    if (n == 0) {
        // The client may have only shut down its writing half (`socat` does at the end of its
        // input): it still gets the replies already due, then the connection closes.
        log::debug(kLog, "monitor client {} finished", c.id);
        c.closing = true;
        if (c.out.empty())
            c.dead = true;
        else
            set_writable_interest(c, true);
        return;
    }
    c.in.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    bool too_long = false;
    while (!c.dead && !c.closing) {
        size_t nl = c.in.find('\n', start);
        if (nl == std::string::npos) {
            too_long = c.in.size() - start > kMaxLineBytes;
            break;
        }
        std::string_view line(c.in.data() + start, nl - start);
        start = nl + 1;
        if (line.size() > kMaxLineBytes) {
            too_long = true;
            break;
        }
        if (!blank(line)) send(c, dispatch(line));
    }
    if (c.dead || c.closing) return;
    c.in.erase(0, start);
    if (too_long) {
        // Without a bound a client could make the VMM buffer without limit; the rest of such a
        // line cannot be told from the next request, so the connection ends.
        log::warning(kLog, "monitor client {} sent a line longer than {} bytes; disconnecting",
                     c.id, kMaxLineBytes);
        c.in.clear();
        send(c, error_line("GenericError",
                           fmt::format("request line longer than {} bytes; closing the connection",
                                       kMaxLineBytes),
                           nullptr));
        c.closing = true;
        flush(c);
    }
}

std::string Monitor::dispatch(std::string_view line) {
    if (nesting_depth(line) > kMaxDepth)
        return error_line("GenericError",
                          fmt::format("JSON nested deeper than {} levels", kMaxDepth), nullptr);
    Json request;
    try {
        request = Json::parse(line);
    } catch (const Json::exception& e) {
        return error_line("GenericError", fmt::format("malformed JSON: {}", json_problem(e)),
                          nullptr);
    }
    if (!request.is_object())
        return error_line("GenericError", "a request must be a JSON object", nullptr);
    const Json* id = request.contains("id") ? &request["id"] : nullptr;
    for (const auto& [key, value] : request.items())
        if (key != "execute" && key != "arguments" && key != "id")
            return error_line("GenericError", fmt::format("unknown request member '{}'", key), id);
    auto execute = request.find("execute");
    if (execute == request.end() || !execute->is_string())
        return error_line("GenericError",
                          "a request needs \"execute\" with the command's name as a string", id);
    const std::string& name = execute->get_ref<const std::string&>();
    Json arguments = Json::object();
    if (auto a = request.find("arguments"); a != request.end()) {
        if (!a->is_object())
            return error_line("GenericError", "\"arguments\" must be a JSON object", id);
        arguments = *a;
    }
    auto command = commands_.find(name);
    if (command == commands_.end())
        return error_line("CommandNotFound",
                          fmt::format("no command '{}' (query-commands lists them)", name), id);

    std::optional<Result<Json>> result;
    try {
        result.emplace(command->second(arguments));
    } catch (const Json::exception& e) {
        return error_line("InvalidArgument",
                          fmt::format("{}: bad arguments: {}", name, json_problem(e)), id);
    } catch (const std::exception& e) {
        return error_line("GenericError", fmt::format("{}: {}", name, e.what()), id);
    }
    if (!result->ok())
        return error_line(monitor_error_class(result->error().code()), result->error().message(),
                          id);
    const Json& value = result->value();
    return reply_line("return", value.is_null() ? Json::object() : value, id);
}

void Monitor::send(Client& c, const std::string& line) {
    if (c.dead) return;
    if (c.out.size() + line.size() + 1 > kMaxOutputBytes) {
        log::warning(kLog,
                     "monitor client {} has not read {} bytes of replies and events; "
                     "disconnecting it",
                     c.id, c.out.size());
        c.dead = true;
        return;
    }
    c.out += line;
    c.out += '\n';
    flush(c);
}

void Monitor::flush(Client& c) {
    size_t done = 0;
    while (done < c.out.size()) {
        ssize_t n = ::send(c.fd.get(), c.out.data() + done, c.out.size() - done,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            log::debug(kLog, "monitor client {} went away: {}", c.id, std::strerror(errno));
            c.dead = true;
            return;
        }
        done += static_cast<size_t>(n);
    }
    c.out.erase(0, done);
    if (c.closing && c.out.empty()) {
        c.dead = true;
        return;
    }
    set_writable_interest(c, !c.out.empty());
}

// A closing client is no longer watched for input: at end of file (or with a refused line still
// arriving) a level-triggered EPOLLIN would fire on every loop iteration.
void Monitor::set_writable_interest(Client& c, bool want) {
    uint32_t events = (c.closing ? 0u : uint32_t{EPOLLIN}) | (want ? uint32_t{EPOLLOUT} : 0u);
    if (events == c.armed) return;
    if (Status s = loop_.modify_fd(c.fd.get(), events); !s) {
        log::warning(kLog, "monitor client {}: {}", c.id, s.error().message());
        c.dead = true;
        return;
    }
    c.armed = events;
}

void Monitor::broadcast(const std::string& line) {
    for (auto& [fd, c] : clients_)
        if (!c->closing) send(*c, line);
    reap();
}

void Monitor::reap() {
    for (auto it = clients_.begin(); it != clients_.end();) {
        if (it->second->dead) {
            loop_.remove_fd(it->first);
            log::debug(kLog, "monitor client {} disconnected", it->second->id);
            it = clients_.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace virtd::vmm
