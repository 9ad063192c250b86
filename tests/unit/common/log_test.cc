#include <gtest/gtest.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"

namespace virtd::log {
namespace {

class LogTest : public ::testing::Test {
protected:
    void TearDown() override {
        set_level(Level::Warning);
        ASSERT_TRUE(set_filters("").ok());
        ASSERT_TRUE(set_output("stderr").ok());
    }
};

TEST_F(LogTest, LevelGatesMessages) {
    set_level(Level::Warning);
    EXPECT_FALSE(enabled("conf", Level::Info));
    EXPECT_TRUE(enabled("conf", Level::Warning));
    EXPECT_TRUE(enabled("conf", Level::Error));
}

TEST_F(LogTest, MostSpecificFilterWins) {
    set_level(Level::Error);
    ASSERT_TRUE(set_filters("1:rpc 3:rpc.keepalive  2:+conf").ok());
    EXPECT_TRUE(enabled("rpc.server", Level::Debug));
    EXPECT_FALSE(enabled("rpc.keepalive", Level::Info));
    EXPECT_TRUE(enabled("rpc.keepalive", Level::Warning));
    EXPECT_TRUE(enabled("conf", Level::Info));
    EXPECT_FALSE(enabled("storage", Level::Warning));
}

TEST_F(LogTest, BadConfigIsRefusedWithTheItem) {
    Status s = set_filters("1:rpc x:conf");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("'x:conf'"), std::string::npos);
    EXPECT_FALSE(set_filters("9:rpc").ok());
    EXPECT_FALSE(set_output("syslog:virtd").ok());
}

TEST_F(LogTest, FileOutputGetsFormattedLines) {
    char dir[] = "/tmp/virtd-log-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/virtd.log";
    ASSERT_TRUE(set_output("2:file:" + path).ok());
    EXPECT_EQ(level(), Level::Info);
    info("conf", "parsed {} domains", 3);
    debug("conf", "not written");
    Result<std::string> text = read_file(path);
    ASSERT_TRUE(text.ok());
    EXPECT_NE(text->find(" info : conf : parsed 3 domains\n"), std::string::npos);
    EXPECT_EQ(text->find("not written"), std::string::npos);
    unlink(path.c_str());
    rmdir(dir);
}

} // namespace
} // namespace virtd::log
