#include "drivers/kvm/guest_agent.h"

#include <atomic>
#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>

#include "drivers/kvm/vmm_process.h"

namespace virtd::kvm {
namespace {

constexpr ErrorDomain kDom = ErrorDomain::Qemu;
using Clock = std::chrono::steady_clock;

Status send_line(int fd, const std::string& line) {
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return system_error(kDom, errno, "writing to the guest agent channel");
        rest.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Error unresponsive(std::string_view why) {
    return make_error(ErrorCode::AgentUnresponsive, kDom, "Guest agent is not responding: {}", why);
}

} // namespace

Status agent_shutdown(const std::string& socket, std::string_view mode,
                      std::chrono::milliseconds timeout) {
    Result<UniqueFd> fd = connect_unix(socket);
    if (!fd) return unresponsive(fd.error().message());
    static std::atomic<int64_t> next_sync{static_cast<int64_t>(::time(nullptr)) * 1000};
    const Clock::time_point deadline = Clock::now() + timeout;
    std::string buffer;
    // The agent may not have opened its end yet (a guest still booting): what is written before
    // that is lost, so the sync is repeated until it is answered.
    for (bool synced = false; !synced;) {
        const int64_t id = next_sync++;
        nlohmann::json sync = {{"execute", "guest-sync"}, {"arguments", {{"id", id}}}};
        if (Status s = send_line(fd->get(), sync.dump() + "\n"); !s) return s;
        const Clock::time_point retry = std::min(deadline, Clock::now() + std::chrono::seconds(1));
        while (!synced) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(retry - Clock::now());
            if (left.count() <= 0) break;
            pollfd p{fd->get(), POLLIN, 0};
            int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            char chunk[4096];
            ssize_t n = ::recv(fd->get(), chunk, sizeof chunk, 0);
            if (n <= 0) return unresponsive("the channel closed");
            buffer.append(chunk, static_cast<size_t>(n));
            if (buffer.size() > 65536) return unresponsive("it sent garbage");
            for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
                nlohmann::json reply = nlohmann::json::parse(buffer.substr(0, nl), nullptr, false);
                buffer.erase(0, nl + 1);
                if (reply.is_object() && reply.contains("return") && reply["return"] == id)
                    synced = true;
            }
        }
        if (!synced && Clock::now() >= deadline)
            return unresponsive(
                fmt::format("no answer on '{}' within {} ms", socket, timeout.count()));
    }
    nlohmann::json req = {{"execute", "guest-shutdown"}, {"arguments", {{"mode", mode}}}};
    return send_line(fd->get(), req.dump() + "\n");
}

} // namespace virtd::kvm
