// Inflight: counts a backend's requests between submission and the return of their completion,
// so drain() can wait for zero. Every backend needs exactly this, whatever does its I/O.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace virtd::storage {

class Inflight {
public:
    void begin();
    // Call after the completion has returned, so drain() also waits for completions to finish.
    void end();
    // Blocks until the count is zero.
    void wait_idle();

private:
    std::mutex mu_;
    std::condition_variable idle_;
    uint64_t count_ = 0; // guarded by mu_
};

} // namespace virtd::storage
