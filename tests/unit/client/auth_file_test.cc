// libvirt's auth.conf: host sections point at credential sets, the default section backs them,
// and bad lines are named.
#include <gtest/gtest.h>

#include "client/auth_file.h"

namespace virtd::client {
namespace {

constexpr std::string_view kFile = R"(# comment
[credentials-ops]
authname = ops
password=s3cret word

; another comment
[credentials-any]
username=guest
password=guest

[auth-libvirt-db1.example.com]
credentials=ops

[auth-libvirt-default]
credentials=any
)";

TEST(AuthFile, HostSectionsNameCredentialSets) {
    Result<AuthFile> f = AuthFile::parse(kFile, "auth.conf");
    ASSERT_TRUE(f.ok()) << f.error().message();
    EXPECT_EQ(f->lookup("libvirt", "db1.example.com", "authname"), "ops");
    EXPECT_EQ(f->lookup("libvirt", "db1.example.com", "password"), "s3cret word");
    // The host's set answers even by lacking a key: no mixing with the default set.
    EXPECT_EQ(f->lookup("libvirt", "db1.example.com", "username"), std::nullopt);
    EXPECT_EQ(f->lookup("libvirt", "other", "username"), "guest");
    EXPECT_EQ(f->lookup("ssh", "db1.example.com", "password"), std::nullopt);
}

TEST(AuthFile, BadLinesAreNamed) {
    Result<AuthFile> a = AuthFile::parse("[credentials-x\nauthname=a\n", "a.conf");
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().message(), "a.conf line 1: expected [SECTION]");
    Result<AuthFile> b = AuthFile::parse("authname=a\n", "b.conf");
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().message(), "b.conf line 1: expected key=value inside a [section]");
    Result<AuthFile> c = AuthFile::load("/nonexistent/auth.conf");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message().find("/nonexistent/auth.conf"), std::string::npos);
}

TEST(AuthFile, DefaultPathFollowsLibvirtAuthFile) {
    setenv("LIBVIRT_AUTH_FILE", "/tmp/some-auth.conf", 1);
    EXPECT_EQ(AuthFile::default_path(), "/tmp/some-auth.conf");
    unsetenv("LIBVIRT_AUTH_FILE");
}

} // namespace
} // namespace virtd::client
