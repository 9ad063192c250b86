// EventLoop: one thread's epoll loop: callbacks when file descriptors are ready, timers, and
// functions posted from other threads (which is how worker threads hand results back).
//
// Thread safety: post(), stop() and in_loop_thread() may be called from any thread; everything
// else only from the loop's own thread (from callbacks, or before run()).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <sys/epoll.h>

#include "common/error.h"
#include "common/fd.h"

namespace virtd {

class EventLoop {
public:
    using FdCallback = std::function<void(uint32_t events)>; // EPOLLIN, EPOLLOUT, EPOLLHUP, ...
    using Clock = std::chrono::steady_clock;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Watches `fd` (not owned) for `events`; the callback runs on the loop thread.
    Status add_fd(int fd, uint32_t events, FdCallback cb);
    Status modify_fd(int fd, uint32_t events);
    // Stops watching; safe from inside that fd's own callback.
    void remove_fd(int fd);

    // Runs `fn` after `delay` (and every `delay` after that when `repeat`). Returns an id for
    // cancel_timer().
    uint64_t add_timer(std::chrono::milliseconds delay, std::function<void()> fn,
                       bool repeat = false);
    void cancel_timer(uint64_t id);

    // Runs `fn` on the loop thread soon. Thread-safe.
    void post(std::function<void()> fn);

    // Runs until stop(); returns at once if stop() was already called.
    void run();
    // Makes run() return after the current iteration. Thread-safe.
    void stop();
    bool in_loop_thread() const { return loop_thread_ == std::this_thread::get_id(); }

private:
    struct Timer {
        std::function<void()> fn;
        std::chrono::milliseconds period{0}; // zero for one-shot
        Clock::time_point due;
    };

    void wake();
    void run_posted();
    void run_timers();
    int next_timeout_ms() const;

    UniqueFd epoll_;
    UniqueFd wakeup_; // eventfd
    std::unordered_map<int, std::shared_ptr<FdCallback>> fds_;
    std::map<uint64_t, Timer> timers_;
    uint64_t next_timer_id_ = 1;
    std::atomic<bool> stopping_{false};
    std::thread::id loop_thread_;

    std::mutex posted_mu_;
    std::vector<std::function<void()>> posted_; // guarded by posted_mu_
};

} // namespace virtd
