#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/event_loop.h"

namespace virtd {
namespace {

using namespace std::chrono_literals;

TEST(EventLoop, CallsBackWhenAnFdIsReadable) {
    EventLoop loop;
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    std::string got;
    ASSERT_TRUE(loop.add_fd(p[0], EPOLLIN,
                            [&](uint32_t events) {
                                EXPECT_TRUE(events & EPOLLIN);
                                char buf[16];
                                ssize_t n = read(p[0], buf, sizeof buf);
                                got.append(buf, n > 0 ? n : 0);
                                loop.remove_fd(
                                    p[0]); // removing itself from its own callback is safe
                                loop.stop();
                            })
                    .ok());
    ASSERT_EQ(write(p[1], "ping", 4), 4);
    loop.run();
    EXPECT_EQ(got, "ping");
    close(p[0]);
    close(p[1]);
}

TEST(EventLoop, PostedFunctionsRunOnTheLoopThread) {
    EventLoop loop;
    std::atomic<int> ran{0};
    std::thread::id loop_id;
    std::thread t([&] {
        for (int i = 0; i < 100; i++)
            loop.post([&] {
                EXPECT_TRUE(loop.in_loop_thread());
                if (++ran == 100) loop.stop();
            });
    });
    loop.run();
    t.join();
    EXPECT_EQ(ran.load(), 100);
}

TEST(EventLoop, TimersFireInOrderRepeatAndCancel) {
    EventLoop loop;
    std::vector<std::string> order;
    int ticks = 0;
    uint64_t cancelled = loop.add_timer(5ms, [&] { order.push_back("cancelled"); });
    loop.add_timer(30ms, [&] { order.push_back("late"); });
    loop.add_timer(10ms, [&] { order.push_back("early"); });
    uint64_t tick = 0;
    tick = loop.add_timer(
        8ms,
        [&] {
            if (++ticks == 3) loop.cancel_timer(tick);
        },
        true);
    loop.add_timer(60ms, [&] { loop.stop(); });
    loop.cancel_timer(cancelled);
    auto start = EventLoop::Clock::now();
    loop.run();
    EXPECT_GE(EventLoop::Clock::now() - start, 60ms);
    EXPECT_EQ(order, (std::vector<std::string>{"early", "late"}));
    EXPECT_EQ(ticks, 3);
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
    EventLoop loop;
    std::thread t([&] {
        std::this_thread::sleep_for(20ms);
        loop.stop();
    });
    loop.run(); // no fds, no timers: only the wakeup can end this
    t.join();
    SUCCEED();
}

} // namespace
} // namespace virtd
