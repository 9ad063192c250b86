#include "drivers/pv/virtio/worker.h"

#include <cerrno>

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace virtd::pv::virtio {
namespace {

void drain(int fd) {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(fd, &count, sizeof count);
}

void signal(int fd) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
}

} // namespace

VirtioWorker::VirtioWorker(std::string name)
    : name_(std::move(name))
    , notify_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
    , stop_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

VirtioWorker::~VirtioWorker() {
    stop();
}

Status VirtioWorker::start(std::function<void()> work, size_t extra_slots) {
    stop();
    if (!notify_ || !stop_) {
        return make_error(ErrorCode::InternalError, ErrorDomain::None,
                          "{}: could not create its eventfds", name_);
    }
    drain(stop_.get());
    work_ = std::move(work);
    fds_.assign(2 + extra_slots, pollfd{-1, 0, 0});
    fds_[0] = {notify_.get(), POLLIN, 0};
    fds_[1] = {stop_.get(), POLLIN, 0};
    thread_ = std::thread([this] { loop(); });
    // Thread names are at most 15 characters.
    pthread_setname_np(thread_.native_handle(), name_.substr(0, 15).c_str());
    return {};
}

void VirtioWorker::stop() {
    if (!thread_.joinable()) return;
    signal(stop_.get());
    thread_.join();
    work_ = nullptr;
}

void VirtioWorker::watch(size_t slot, int fd, short events) {
    pollfd& p = fds_.at(2 + slot);
    p.fd = fd;
    p.events = events;
    p.revents = 0;
}

void VirtioWorker::kick() const {
    signal(notify_.get());
}

void VirtioWorker::loop() {
    // The driver may have queued buffers (and kicked) before the device started.
    work_();
    for (;;) {
        if (::poll(fds_.data(), fds_.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds_[1].revents != 0) return;
        if (fds_[0].revents != 0) drain(notify_.get());
        work_();
    }
}

} // namespace virtd::pv::virtio
