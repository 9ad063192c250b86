// ThreadPool: a fixed set of worker threads running submitted tasks in submission order.
//
// Thread safety: submit() may be called from any thread. The destructor finishes the queued
// tasks and joins the workers.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace virtd {

class ThreadPool {
public:
    explicit ThreadPool(size_t workers);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    void submit(std::function<void()> task);
    size_t size() const { return workers_.size(); }

private:
    void work();

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_; // guarded by mu_
    bool stopping_ = false;                   // guarded by mu_
    std::vector<std::thread> workers_;        // immutable after construction
};

} // namespace virtd
