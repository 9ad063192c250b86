// Tests for tools/pki: certificates made by the library are checked by the real certtool and by
// a GnuTLS handshake over a socketpair.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "tools/pki/layout.h"
#include "tools/pki/pki.h"

namespace virtd::pki {
namespace {

// A temporary directory removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string tmpl = "/tmp/pki-test.XXXXXX";
        path_ = mkdtemp(tmpl.data()) ? tmpl : "";
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The output and exit status of a shell command.
struct Command {
    int status = -1;
    std::string output;
};

Command run(const std::string& command) {
    Command r;
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (!p) {
        return r;
    }
    char buf[4096];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        r.output.append(buf, n);
    }
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

bool have_certtool() {
    return run("command -v certtool").status == 0;
}

Credential must(Result<Credential> r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return r.ok() ? std::move(r.value()) : Credential{};
}

// A CA, a server certificate for localhost + 127.0.0.1 and a client certificate, on disk.
class PkiFiles : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(dir_.path().empty());
        ca_ = must(create_ca({"Test CA", "virtd tests", 30}));
        server_ = must(issue_server(ca_, {{"localhost", "127.0.0.1"}, "", 30}));
        client_ = must(issue_client(ca_, {"admin", "virtd tests", 30}));
        for (auto [kind, cred] : {std::pair{Kind::Ca, &ca_}, std::pair{Kind::Server, &server_},
                                  std::pair{Kind::Client, &client_}}) {
            Status s = write_credential(flat_paths(dir_.path(), kind), *cred, false);
            ASSERT_TRUE(s.ok()) << s.error().message();
        }
    }
    std::string file(const char* name) const { return path_join(dir_.path(), name); }
    Command certtool_verify(const std::string& ca, const std::string& cert) const {
        return run("certtool --verify --load-ca-certificate " + ca + " --infile " + cert);
    }

    TempDir dir_;
    Credential ca_, server_, client_;
};

TEST_F(PkiFiles, CerttoolVerifiesServerAndClient) {
    if (!have_certtool()) {
        GTEST_SKIP() << "certtool (gnutls-bin) not installed";
    }
    Command server = certtool_verify(file("cacert.pem"), file("servercert.pem"));
    EXPECT_EQ(server.status, 0) << server.output;
    EXPECT_NE(server.output.find("Verified"), std::string::npos) << server.output;
    Command client = certtool_verify(file("cacert.pem"), file("clientcert.pem"));
    EXPECT_EQ(client.status, 0) << client.output;
}

TEST_F(PkiFiles, CerttoolShowsExtensions) {
    if (!have_certtool()) {
        GTEST_SKIP() << "certtool (gnutls-bin) not installed";
    }
    Command server = run("certtool -i --infile " + file("servercert.pem"));
    ASSERT_EQ(server.status, 0) << server.output;
    for (const char* want :
         {"Version: 3", "Subject: CN=localhost", "Certificate Authority (CA): FALSE",
          "Digital signature.", "Key encipherment.", "TLS WWW Server.", "DNSname: localhost",
          "IPAddress: 127.0.0.1", "Subject Key Identifier", "Authority Key Identifier",
          "ECDSA-SHA256"}) {
        EXPECT_NE(server.output.find(want), std::string::npos) << want << "\n" << server.output;
    }
    Command ca = run("certtool -i --infile " + file("cacert.pem"));
    ASSERT_EQ(ca.status, 0) << ca.output;
    for (const char* want : {"Certificate Authority (CA): TRUE", "Certificate signing.",
                             "CRL signing.", "Subject: CN=Test CA,O=virtd tests"}) {
        EXPECT_NE(ca.output.find(want), std::string::npos) << want << "\n" << ca.output;
    }
    Command client = run("certtool -i --infile " + file("clientcert.pem"));
    ASSERT_EQ(client.status, 0) << client.output;
    EXPECT_NE(client.output.find("TLS WWW Client."), std::string::npos) << client.output;
    EXPECT_NE(client.output.find("Certificate Authority (CA): FALSE"), std::string::npos);
}

TEST_F(PkiFiles, OtherCaFailsVerification) {
    if (!have_certtool()) {
        GTEST_SKIP() << "certtool (gnutls-bin) not installed";
    }
    Credential other = must(create_ca({"Other CA", "", 30}));
    ASSERT_TRUE(write_file_atomic(file("other.pem"), other.cert_pem, 0644).ok());
    Command r = certtool_verify(file("other.pem"), file("servercert.pem"));
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_EQ(r.output.find("Verified. The certificate is trusted"), std::string::npos);
}

TEST_F(PkiFiles, KeysAreMode0600CertificatesMode0644) {
    for (const char* name : {"cakey.pem", "serverkey.pem", "clientkey.pem"}) {
        struct stat st {};
        ASSERT_EQ(stat(file(name).c_str(), &st), 0) << name;
        EXPECT_EQ(st.st_mode & 07777, 0600u) << name;
    }
    for (const char* name : {"cacert.pem", "servercert.pem", "clientcert.pem"}) {
        struct stat st {};
        ASSERT_EQ(stat(file(name).c_str(), &st), 0) << name;
        EXPECT_EQ(st.st_mode & 07777, 0644u) << name;
    }
}

TEST_F(PkiFiles, OverwriteRefusedWithoutForce) {
    Credential again = must(issue_server(ca_, {{"localhost"}, "", 30}));
    Paths paths = flat_paths(dir_.path(), Kind::Server);
    Status s = write_credential(paths, again, false);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find(paths.key), std::string::npos) << s.error().message();
    EXPECT_NE(s.error().message().find("--force"), std::string::npos) << s.error().message();
    EXPECT_EQ(*read_file(paths.cert), server_.cert_pem); // nothing was touched

    ASSERT_TRUE(write_credential(paths, again, true).ok());
    EXPECT_EQ(*read_file(paths.cert), again.cert_pem);
    EXPECT_EQ(*read_file(paths.key), again.key_pem);
}

TEST_F(PkiFiles, LoadCaReadsBackWhatWasWritten) {
    Result<Credential> ca = load_ca(flat_paths(dir_.path(), Kind::Ca));
    ASSERT_TRUE(ca.ok()) << ca.error().message();
    EXPECT_EQ(ca->cert_pem, ca_.cert_pem);
    EXPECT_EQ(ca->key_pem, ca_.key_pem);
}

TEST(Pki, MissingCaNamesTheFileAndTheCommand) {
    TempDir dir;
    Result<Credential> ca = load_ca(flat_paths(dir.path(), Kind::Ca));
    ASSERT_FALSE(ca.ok());
    EXPECT_NE(ca.error().message().find(path_join(dir.path(), "cacert.pem")), std::string::npos);
    EXPECT_NE(ca.error().message().find("virtd-pki ca"), std::string::npos);
}

TEST(Pki, ValidityOutOfRangeIsRefused) {
    for (int days : {0, -1, kMaxDays + 1}) {
        Result<Credential> ca = create_ca({"CA", "", days});
        ASSERT_FALSE(ca.ok()) << days;
        EXPECT_EQ(ca.error().code(), ErrorCode::InvalidArg);
        EXPECT_NE(ca.error().message().find("--days"), std::string::npos) << ca.error().message();
    }
    Credential ca = must(create_ca({"CA", "", 1}));
    EXPECT_FALSE(issue_server(ca, {{"h"}, "", 0}).ok());
    EXPECT_FALSE(issue_client(ca, {"c", "", -5}).ok());
}

TEST(Pki, MissingNamesAreRefused) {
    Credential ca = must(create_ca({"CA", "", 1}));
    Result<Credential> server = issue_server(ca, {{}, "", 1});
    ASSERT_FALSE(server.ok());
    EXPECT_NE(server.error().message().find("--host"), std::string::npos);
    EXPECT_FALSE(issue_server(ca, {{"a b"}, "", 1}).ok());
    Result<Credential> client = issue_client(ca, {"", "", 1});
    ASSERT_FALSE(client.ok());
    EXPECT_NE(client.error().message().find("--cn"), std::string::npos);
}

TEST(Pki, NonCaCertificateCannotSign) {
    Credential ca = must(create_ca({"CA", "", 1}));
    Credential server = must(issue_server(ca, {{"h"}, "", 1}));
    EXPECT_FALSE(issue_client(server, {"c", "", 1}).ok());
}

TEST(Pki, SubjectDn) {
    Credential ca = must(create_ca({"CA", "", 1}));
    Credential client = must(issue_client(ca, {"admin", "Example", 1}));
    Result<std::string> dn = subject_dn(client.cert_pem);
    ASSERT_TRUE(dn.ok());
    EXPECT_EQ(*dn, "O=Example,CN=admin");
}

TEST(Pki, SystemLayoutUsesLibvirtPaths) {
    EXPECT_EQ(system_paths(Kind::Ca).cert, "/etc/pki/CA/cacert.pem");
    EXPECT_EQ(system_paths(Kind::Ca).key, "/etc/pki/CA/private/cakey.pem");
    EXPECT_EQ(system_paths(Kind::Server).cert, "/etc/pki/libvirt/servercert.pem");
    EXPECT_EQ(system_paths(Kind::Server).key, "/etc/pki/libvirt/private/serverkey.pem");
    EXPECT_EQ(system_paths(Kind::Client).cert, "/etc/pki/libvirt/clientcert.pem");
    EXPECT_EQ(system_paths(Kind::Client).key, "/etc/pki/libvirt/private/clientkey.pem");

    TempDir root;
    Credential ca = must(create_ca({"CA", "", 1}));
    ASSERT_TRUE(write_credential(system_paths(Kind::Ca, root.path()), ca, false).ok());
    struct stat st {};
    ASSERT_EQ(stat((root.path() + "/etc/pki/CA/private").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(*read_file(root.path() + "/etc/pki/CA/cacert.pem"), ca.cert_pem);
}

// One end of a TLS connection: what it trusts and presents, and how its peer check went.
struct Peer {
    const Credential* own = nullptr;
    const Credential* trusted_ca = nullptr;
    const char* hostname = nullptr; // checked against the server certificate (client side)
    int handshake = GNUTLS_E_INTERNAL_ERROR;
    int verify = GNUTLS_E_INTERNAL_ERROR;
    unsigned status = ~0u;
};

gnutls_datum_t datum(const std::string& s) {
    return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
            static_cast<unsigned>(s.size())};
}

void run_peer(int fd, bool server, Peer& peer) {
    gnutls_certificate_credentials_t cred = nullptr;
    gnutls_certificate_allocate_credentials(&cred);
    gnutls_datum_t ca = datum(peer.trusted_ca->cert_pem);
    gnutls_datum_t cert = datum(peer.own->cert_pem);
    gnutls_datum_t key = datum(peer.own->key_pem);
    EXPECT_EQ(gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM), 1);
    EXPECT_EQ(gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM), 0);
    gnutls_session_t session = nullptr;
    gnutls_init(&session, server ? GNUTLS_SERVER : GNUTLS_CLIENT);
    gnutls_set_default_priority(session);
    gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred);
    if (server) {
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
    }
    gnutls_transport_set_int(session, fd);
    do {
        peer.handshake = gnutls_handshake(session);
    } while (peer.handshake < 0 && gnutls_error_is_fatal(peer.handshake) == 0);
    if (peer.handshake < 0) {
        shutdown(fd, SHUT_RDWR); // the other end must not wait for us
    } else {
        peer.verify = gnutls_certificate_verify_peers3(session, server ? nullptr : peer.hostname,
                                                       &peer.status);
    }
    gnutls_deinit(session);
    gnutls_certificate_free_credentials(cred);
}

// Runs a handshake between `server` and `client` over a socketpair.
void handshake(Peer& server, Peer& client) {
    signal(SIGPIPE, SIG_IGN);
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    std::thread s([&] { run_peer(fds[0], true, server); });
    run_peer(fds[1], false, client);
    s.join();
    close(fds[0]);
    close(fds[1]);
}

class Handshake : public ::testing::Test {
protected:
    void SetUp() override {
        ca_ = must(create_ca({"Test CA", "", 1}));
        other_ca_ = must(create_ca({"Other CA", "", 1}));
        server_ = must(issue_server(ca_, {{"localhost", "127.0.0.1"}, "", 1}));
        client_ = must(issue_client(ca_, {"admin", "", 1}));
    }
    Credential ca_, other_ca_, server_, client_;
};

TEST_F(Handshake, BothSidesVerifyWithTheRightCa) {
    for (const char* host : {"localhost", "127.0.0.1"}) {
        Peer server{&server_, &ca_};
        Peer client{&client_, &ca_, host};
        handshake(server, client);
        ASSERT_EQ(client.handshake, 0) << gnutls_strerror(client.handshake);
        ASSERT_EQ(server.handshake, 0) << gnutls_strerror(server.handshake);
        EXPECT_EQ(client.verify, 0);
        EXPECT_EQ(client.status, 0u) << host;
        EXPECT_EQ(server.verify, 0);
        EXPECT_EQ(server.status, 0u);
    }
}

TEST_F(Handshake, ClientTrustingAnotherCaRejectsTheServer) {
    Peer server{&server_, &ca_};
    Peer client{&client_, &other_ca_, "localhost"};
    handshake(server, client);
    ASSERT_EQ(client.handshake, 0) << gnutls_strerror(client.handshake);
    EXPECT_EQ(client.verify, 0);
    EXPECT_NE(client.status & GNUTLS_CERT_INVALID, 0u);
    EXPECT_NE(client.status & GNUTLS_CERT_SIGNER_NOT_FOUND, 0u);
}

TEST_F(Handshake, ServerRejectsAClientFromAnotherCa) {
    Credential stranger = must(issue_client(other_ca_, {"stranger", "", 1}));
    Peer server{&server_, &ca_};
    Peer client{&stranger, &ca_, "localhost"};
    handshake(server, client);
    // GnuTLS's client offers no certificate the server's CA list does not name, so the server
    // ends the handshake; were one sent anyway, verification would have to reject it.
    if (server.handshake == 0) {
        EXPECT_NE(server.status & GNUTLS_CERT_INVALID, 0u);
    } else {
        EXPECT_EQ(server.handshake, GNUTLS_E_CERTIFICATE_REQUIRED)
            << gnutls_strerror(server.handshake);
    }
}

TEST_F(Handshake, WrongHostNameIsRejected) {
    Peer server{&server_, &ca_};
    Peer client{&client_, &ca_, "elsewhere.example"};
    handshake(server, client);
    ASSERT_EQ(client.handshake, 0) << gnutls_strerror(client.handshake);
    EXPECT_NE(client.status & GNUTLS_CERT_UNEXPECTED_OWNER, 0u);
}

} // namespace
} // namespace virtd::pki
