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

TEST(DaemonConfig, RemoteAccessSettings) {
    Result<DaemonConfig> c = DaemonConfig::parse(R"(
listen_tls = 1
tls_port = "26514"
auth_tcp = "sasl"
auth_tls = "none"
ca_file = "/p/ca.pem"
cert_file = "/p/cert.pem"
key_file = "/p/key.pem"
crl_file = "/p/crl.pem"
tls_no_verify_certificate = 1
tls_allowed_dn_list = ["O=Example,CN=*", "*,CN=admin"]
tls_priority = "SECURE256"
sasl_allowed_username_list = ["ops", "admin@*"]
max_anonymous_clients = 5
access_rules_file = "/etc/virtd/access.rules"
)",
                                                 "r.conf");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_TRUE(c->listen_tls);
    EXPECT_EQ(c->tls_port, "26514");
    EXPECT_EQ(c->auth_tcp, "sasl");
    EXPECT_EQ(c->auth_unix_rw, "none"); // defaults stay
    EXPECT_EQ(c->crl_file, "/p/crl.pem");
    EXPECT_TRUE(c->tls_no_verify_certificate);
    EXPECT_EQ(c->tls_allowed_dn_list.size(), 2u);
    EXPECT_EQ(c->tls_allowed_dn_list[1], "*,CN=admin");
    EXPECT_EQ(c->sasl_allowed_username_list[1], "admin@*");
    EXPECT_EQ(c->max_anonymous_clients, 5u);
    EXPECT_EQ(c->access_rules_file, "/etc/virtd/access.rules");
    EXPECT_EQ(DaemonConfig::parse("auth_tls = \"polkit\"", "x").error().message(),
              "x line 1: auth_tls: value of the wrong kind or out of range");
    EXPECT_FALSE(DaemonConfig::parse("tls_allowed_dn_list = \"CN=x\"", "x").ok());
}

} // namespace
} // namespace virtd
