#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "common/thread_pool.h"

namespace virtd {
namespace {

TEST(ThreadPool, RunsEveryTaskBeforeDestruction) {
    std::atomic<int> done{0};
    {
        ThreadPool pool(3);
        EXPECT_EQ(pool.size(), 3u);
        for (int i = 0; i < 1000; i++)
            pool.submit([&] { done++; });
    }
    EXPECT_EQ(done.load(), 1000);
}

TEST(ThreadPool, TasksRunConcurrently) {
    // Two tasks that each wait for the other can only both finish if they run at the same time.
    std::mutex mu;
    std::condition_variable cv;
    int arrived = 0;
    std::atomic<int> finished{0};
    {
        ThreadPool pool(2);
        for (int i = 0; i < 2; i++) {
            pool.submit([&] {
                std::unique_lock lock(mu);
                arrived++;
                cv.notify_all();
                if (cv.wait_for(lock, std::chrono::seconds(5), [&] { return arrived == 2; }))
                    finished++;
            });
        }
    } // the destructor joins the workers
    EXPECT_EQ(finished.load(), 2);
}

} // namespace
} // namespace virtd
