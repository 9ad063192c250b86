#include "common/thread_pool.h"

namespace virtd {

ThreadPool::ThreadPool(size_t workers) {
    if (workers == 0) workers = 1;
    for (size_t i = 0; i < workers; i++)
        workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_)
        t.join();
}

void ThreadPool::submit(std::function<void()> task) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
}

void ThreadPool::work() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return; // stopping and drained
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        task();
    }
}

} // namespace virtd
