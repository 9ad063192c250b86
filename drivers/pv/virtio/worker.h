// VirtioWorker: the thread a virtio device does its queue work on, woken by the driver's queue
// notifications, so I/O never runs on a vCPU thread (emulators.md §3).
//
// Notifications arrive on an eventfd: the VMM registers notify_fd() as the accelerator's
// ioeventfd for the device's QueueNotify register, so a guest kick only bumps a counter. The
// thread calls `work` once per wake-up (however many kicks were coalesced) and once at start,
// which must process every queue until it is empty.
//
// Thread safety: start() and stop() on one thread (the transport's, under its device lock);
// kick() from any thread.
#pragma once

#include <functional>
#include <thread>

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
    // Starts the thread. A worker that runs is stopped first.
    Status start(std::function<void()> work);
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
    std::thread thread_;
};

} // namespace virtd::pv::virtio
