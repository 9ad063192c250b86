#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "drivers/kvm/vmm/console.h"

namespace virtd::vmm {
namespace {

using namespace std::chrono_literals;

// Collects what the console hands to the guest, and waits for it.
class Typed {
public:
    Console::InputFn sink() {
        return [this](std::string_view s) {
            std::lock_guard lock(mu_);
            got_ += s;
            cv_.notify_all();
        };
    }
    std::string wait_for(size_t n) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, 5s, [&] { return got_.size() >= n; });
        return got_;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::string got_;
};

std::string read_some(int fd, size_t n) {
    std::string out;
    for (int i = 0; i < 500 && out.size() < n; i++) {
        char buf[256];
        ssize_t got = read(fd, buf, sizeof buf);
        if (got > 0)
            out.append(buf, static_cast<size_t>(got));
        else
            std::this_thread::sleep_for(10ms);
    }
    return out;
}

TEST(Console, APtyCarriesBothWays) {
    Typed typed;
    Result<std::unique_ptr<Console>> c = Console::open({ConsoleSpec::Kind::Pty, ""}, typed.sink());
    ASSERT_TRUE(c.ok()) << c.error().message();
    ASSERT_FALSE((*c)->path().empty());
    int user = open((*c)->path().c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
    ASSERT_GE(user, 0);
    ASSERT_EQ(write(user, "ls\r", 3), 3);
    EXPECT_EQ(typed.wait_for(3), "ls\r");
    (*c)->write("login: ");
    EXPECT_EQ(read_some(user, 7), "login: ");
    close(user);
}

TEST(Console, OutputNobodyReadsNeverBlocks) {
    Typed typed;
    Result<std::unique_ptr<Console>> c = Console::open({ConsoleSpec::Kind::Pty, ""}, typed.sink());
    ASSERT_TRUE(c.ok());
    std::string line(1024, 'x');
    for (int i = 0; i < 1024; i++) // 1 MiB into a pty nobody reads
        (*c)->write(line);
    // Getting here is the check: a blocking write would hang until the test times out.
}

TEST(Console, AUnixSocketClientTypesAndReads) {
    char dir[] = "/tmp/virtd-console-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/console.sock";
    Typed typed;
    {
        Result<std::unique_ptr<Console>> c =
            Console::open({ConsoleSpec::Kind::Unix, path}, typed.sink());
        ASSERT_TRUE(c.ok()) << c.error().message();
        (*c)->write("lost: nobody is connected\n");
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, path.c_str());
        ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        ASSERT_EQ(write(fd, "uname\n", 6), 6);
        EXPECT_EQ(typed.wait_for(6), "uname\n");
        (*c)->write("Linux\n");
        fcntl(fd, F_SETFL, O_NONBLOCK);
        EXPECT_EQ(read_some(fd, 6), "Linux\n");
        close(fd);
    }
    EXPECT_NE(access(path.c_str(), F_OK), 0); // the socket file goes with the console
    rmdir(dir);
}

} // namespace
} // namespace virtd::vmm
