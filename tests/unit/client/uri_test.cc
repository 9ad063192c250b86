// ConnectUri: transports, sockets, ports, and the name the daemon is given, as libvirt's remote
// driver derives it.
#include <cstdlib>

#include <gtest/gtest.h>

#include "client/uri.h"

namespace virtd::client {
namespace {

TEST(ConnectUriTest, PlainSchemeUsesTheDefaultSocket) {
    auto u = ConnectUri::parse("mock:///default", "/run/virtd/virtd-sock");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->transport, Transport::Unix);
    EXPECT_EQ(u->socket_path, "/run/virtd/virtd-sock");
    EXPECT_EQ(u->name, "mock:///default");
}

TEST(ConnectUriTest, SocketParameterWinsAndIsNotForwarded) {
    auto u = ConnectUri::parse("mock+unix:///default?socket=/tmp/s&foo=bar", "/unused");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->socket_path, "/tmp/s");
    EXPECT_EQ(u->name, "mock:///default?foo=bar");
}

TEST(ConnectUriTest, TcpWithAndWithoutPort) {
    auto u = ConnectUri::parse("mock+tcp://127.0.0.1:2345/default", "");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->transport, Transport::Tcp);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, "2345");
    EXPECT_EQ(u->name, "mock:///default");
    auto d = ConnectUri::parse("kvm+tcp://user@host.example/system", "");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->host, "host.example");
    EXPECT_EQ(d->port, "16509");
    EXPECT_EQ(d->name, "kvm:///system");
    auto v6 = ConnectUri::parse("mock+tcp://[::1]:99/default", "");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, "99");
}

TEST(ConnectUriTest, NameParameterOverridesAndRemoteMeansDefault) {
    auto n = ConnectUri::parse("qemu+tcp://h/system?name=test:///default", "");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->name, "test:///default");
    auto r = ConnectUri::parse("remote+tcp://h/", "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->name, "");
}

TEST(ConnectUriTest, RefusesWhatItCannotCarry) {
    EXPECT_FALSE(ConnectUri::parse("nonsense", "").ok());
    EXPECT_FALSE(ConnectUri::parse("mock+unix://host/default", "").ok());
    auto ssh = ConnectUri::parse("mock+ssh://host/default", "");
    ASSERT_FALSE(ssh.ok());
    EXPECT_EQ(ssh.error().code(), ErrorCode::NoSupport);
    EXPECT_FALSE(ConnectUri::parse("mock+tls:///default", "").ok()); // TLS needs a host
}

TEST(ConnectUriTest, TlsIsTheDefaultForAHostAndTakesItsParameters) {
    auto t = ConnectUri::parse("kvm://admin@host/system?pkipath=/p&no_verify=1&tls_priority=NORMAL"
                               "&authfile=/a&auth=sasl.scram-sha-256&x=1",
                               "");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->transport, Transport::Tls);
    EXPECT_EQ(t->host, "host");
    EXPECT_EQ(t->port, "16514");
    EXPECT_EQ(t->user, "admin");
    EXPECT_EQ(t->pkipath, "/p");
    EXPECT_TRUE(t->no_verify);
    EXPECT_EQ(t->tls_priority, "NORMAL");
    EXPECT_EQ(t->authfile, "/a");
    EXPECT_EQ(t->auth, "sasl.scram-sha-256");
    EXPECT_EQ(t->name, "kvm:///system?x=1"); // client-only parameters stay here
    auto p = ConnectUri::parse("mock+tls://[::1]:26514/default?no_verify=0", "");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->host, "::1");
    EXPECT_EQ(p->port, "26514");
    EXPECT_FALSE(p->no_verify);
}

TEST(ConnectUriTest, DefaultSocketFollowsVirtdSock) {
    setenv("VIRTD_SOCK", "/tmp/x-sock", 1);
    EXPECT_EQ(default_socket_path(false), "/tmp/x-sock");
    EXPECT_EQ(default_socket_path(true), "/tmp/x-sock-ro");
    unsetenv("VIRTD_SOCK");
    EXPECT_EQ(default_socket_path(false), "/run/virtd/virtd-sock");
}

} // namespace
} // namespace virtd::client
