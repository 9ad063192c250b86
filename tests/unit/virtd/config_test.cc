#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "virtd/config.h"

namespace virtd {
namespace {

TEST(DaemonConfig, ReadsLibvirtdStyleSettings) {
    Result<DaemonConfig> c = DaemonConfig::parse(R"(# virtd.conf
listen_tcp = 1
tcp_port = "26509"     # a private port
listen_addr = "127.0.0.1"
unix_sock_rw_perms = "0770"
max_clients = 20
keepalive_interval = -1
log_filters = "1:rpc 3:conf#not-a-comment"
)",
                                                 "virtd.conf");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_TRUE(c->listen_tcp);
    EXPECT_EQ(c->tcp_port, "26509");
    EXPECT_EQ(c->unix_sock_rw_perms, 0770u);
    EXPECT_EQ(c->max_clients, 20u);
    EXPECT_EQ(c->keepalive_interval, -1);
    EXPECT_EQ(c->log_filters, "1:rpc 3:conf#not-a-comment");
    EXPECT_EQ(c->max_workers, 4u); // untouched defaults stay
}

TEST(DaemonConfig, ErrorsNameLineAndKey) {
    Result<DaemonConfig> unknown = DaemonConfig::parse("\nlisten_tpc = 1\n", "x.conf");
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code(), ErrorCode::ConfSyntax);
    EXPECT_EQ(unknown.error().message(), "x.conf line 2: listen_tpc: unknown setting");
    EXPECT_EQ(DaemonConfig::parse("listen_tcp = 2", "x").error().message(),
              "x line 1: listen_tcp: value of the wrong kind or out of range");
    EXPECT_EQ(DaemonConfig::parse("tcp_port = 16509", "x").error().message(),
              "x line 1: tcp_port: value of the wrong kind or out of range");
    EXPECT_EQ(DaemonConfig::parse("tcp_port = \"16509", "x").error().message(),
              "x line 1: tcp_port: cannot read the value");
    EXPECT_EQ(DaemonConfig::parse("max_clients", "x").error().message(),
              "x line 1: max_clients: expected 'key = value'");
    EXPECT_FALSE(DaemonConfig::parse("unix_sock_ro_perms = \"0999\"", "x").ok());
    EXPECT_FALSE(DaemonConfig::load("/nonexistent/virtd.conf").ok());
}

} // namespace
} // namespace virtd
