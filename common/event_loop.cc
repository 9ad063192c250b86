#include "common/event_loop.h"

#include <algorithm>
#include <cerrno>

#include <sys/eventfd.h>
#include <unistd.h>

namespace virtd {

EventLoop::EventLoop()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC))
    , wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!epoll_ || !wakeup_) std::abort(); // out of descriptors at start-up: nothing to recover
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wakeup_.get();
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeup_.get(), &ev);
}

EventLoop::~EventLoop() = default;

Status EventLoop::add_fd(int fd, uint32_t events, FdCallback cb) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0)
        return system_error(ErrorDomain::None, errno, fmt::format("watching fd {}", fd));
    fds_[fd] = std::make_shared<FdCallback>(std::move(cb));
    return {};
}

Status EventLoop::modify_fd(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0)
        return system_error(ErrorDomain::None, errno, fmt::format("re-arming fd {}", fd));
    return {};
}

void EventLoop::remove_fd(int fd) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    fds_.erase(fd);
}

uint64_t EventLoop::add_timer(std::chrono::milliseconds delay, std::function<void()> fn,
                              bool repeat) {
    uint64_t id = next_timer_id_++;
    timers_[id] =
        Timer{std::move(fn), repeat ? delay : std::chrono::milliseconds(0), Clock::now() + delay};
    return id;
}

void EventLoop::cancel_timer(uint64_t id) {
    timers_.erase(id);
}

void EventLoop::post(std::function<void()> fn) {
    {
        std::lock_guard lock(posted_mu_);
        posted_.push_back(std::move(fn));
    }
    wake();
}

void EventLoop::stop() {
    stopping_.store(true);
    wake();
}

void EventLoop::wake() {
    uint64_t one = 1;
    (void)!::write(wakeup_.get(), &one, sizeof one);
}

void EventLoop::run_posted() {
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(posted_mu_);
        batch.swap(posted_);
    }
    for (auto& fn : batch)
        fn();
}

void EventLoop::run_timers() {
    Clock::time_point now = Clock::now();
    std::vector<uint64_t> due;
    for (const auto& [id, t] : timers_)
        if (t.due <= now) due.push_back(id);
    for (uint64_t id : due) {
        auto it = timers_.find(id);
        if (it == timers_.end()) continue; // cancelled by an earlier timer
        std::function<void()> fn = it->second.fn;
        if (it->second.period.count() > 0)
            it->second.due = now + it->second.period;
        else
            timers_.erase(it);
        fn();
    }
}

int EventLoop::next_timeout_ms() const {
    if (timers_.empty()) return -1;
    Clock::time_point first = Clock::time_point::max();
    for (const auto& [id, t] : timers_)
        first = std::min(first, t.due);
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(first - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(ms, 0, 60000));
}

void EventLoop::run() {
    loop_thread_ = std::this_thread::get_id();
    epoll_event events[64];
    while (!stopping_.load()) {
        int n = ::epoll_wait(epoll_.get(), events, 64, next_timeout_ms());
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == wakeup_.get()) {
                uint64_t count = 0;
                (void)!::read(wakeup_.get(), &count, sizeof count);
                continue;
            }
            auto it = fds_.find(fd);
            if (it == fds_.end()) continue; // removed by an earlier callback in this batch
            std::shared_ptr<FdCallback> cb = it->second; // keeps it alive if it removes itself
            (*cb)(events[i].events);
        }
        run_posted();
        run_timers();
    }
    run_posted();
}

} // namespace virtd
