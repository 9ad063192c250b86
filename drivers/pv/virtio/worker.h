// VirtioWorker: the thread a virtio device does its queue work on, woken by the driver's queue
// notifications, so I/O never runs on a vCPU thread (emulators.md §3).
//
// Notifications arrive on an eventfd: the VMM registers notify_fd() as the accelerator's
// ioeventfd for the device's QueueNotify register, so a guest kick only bumps a counter. The
// thread calls `work` once per wake-up (however many kicks were coalesced) and once at start,
// which must process every queue until it is empty. Devices with host-side sources (a tap, a
// socket) also give the thread `extra_slots` file descriptors to wait on, which `work`
// changes as it goes (watch a tap only while the guest has receive buffers, for example).
//
// Thread safety: start() and stop() on one thread (the transport's, under its device lock);
// kick() from any thread; watch() only from `work`, on the worker thread.
#pragma once

#include <functional>
#include <thread>
#include <vector>

#include <poll.h>

#include "common/error.h"
#include "common/fd.h"

namespace virtd::pv::virtio {

class VirtioWorker {
public:
    // `name` names the thread (for top and gdb) and errors.
    explicit VirtioWorker(std::string name);
    ~VirtioWorker();
    VirtioWorker(const VirtioWorker&) = delete;
    VirtioWorker& operator=(const VirtioWorker&) = delete;

    // The eventfd guest notifications should signal (valid for the worker's lifetime).
    int notify_fd() const { return notify_.get(); }
    // Starts the thread, with `extra_slots` file descriptor slots (none watched at first). A
    // worker that runs is stopped first.
    Status start(std::function<void()> work, size_t extra_slots = 0);
    // From `work`: wake up when `fd` has `events` (POLLIN, POLLOUT); fd -1 watches nothing.
    void watch(size_t slot, int fd, short events);
    // Stops the thread and waits for it; `work` is not running when this returns.
    void stop();
    bool running() const { return thread_.joinable(); }
    // Wakes the thread as a guest notification would (host-side events such as a backend
    // completing or a tap becoming readable).
    void kick() const;

private:
    void loop();

    const std::string name_;
    UniqueFd notify_;
    UniqueFd stop_;
    std::function<void()> work_;
    std::vector<pollfd> fds_; // notify, stop, then the extra slots; owned by the thread
    std::thread thread_;
};

} // namespace virtd::pv::virtio
