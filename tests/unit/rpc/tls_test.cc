// TLS with certificates made by virtd-pki's library: the start-up check names the wrong file,
// sessions verify each other (CA, host name, allowed DNs), records carry bytes both ways, and
// RpcServer/RpcClient talk over TLS with the confirmation byte.
#include <filesystem>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/event_loop.h"
#include "common/file.h"
#include "common/text.h"
#include "rpc/client.h"
#include "rpc/remote_protocol.h"
#include "rpc/server.h"
#include "rpc/tls.h"
#include "tools/pki/pki.h"

namespace virtd::rpc {
namespace {

using ::testing::HasSubstr;

// A CA with a server certificate for "localhost"/127.0.0.1 and a client certificate, written
// where the options expect them; plus a second CA and its client.
class Pki {
public:
    Pki() {
        std::string tmpl = "/tmp/virtd-tls-test.XXXXXX";
        dir_ = mkdtemp(tmpl.data()) ? tmpl : "";
        ca_ = *pki::create_ca({});
        server_ = *pki::issue_server(ca_, {{"localhost", "127.0.0.1"}, "", 30});
        client_ = *pki::issue_client(ca_, {"admin", "Example", 30});
        other_ca_ = *pki::create_ca({"other CA", "", 30});
        other_client_ = *pki::issue_client(other_ca_, {"admin", "Example", 30});
        put("cacert.pem", ca_.cert_pem);
        put("servercert.pem", server_.cert_pem);
        put("serverkey.pem", server_.key_pem);
        put("clientcert.pem", client_.cert_pem);
        put("clientkey.pem", client_.key_pem);
    }
    ~Pki() { std::filesystem::remove_all(dir_); }

    std::string put(const std::string& name, const std::string& text) {
        std::string path = dir_ + "/" + name;
        EXPECT_TRUE(write_file_atomic(path, text, 0600).ok());
        return path;
    }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    TlsFiles server_files() const {
        return {path("cacert.pem"), path("servercert.pem"), path("serverkey.pem"), ""};
    }
    TlsServerOptions server_options() const {
        TlsServerOptions o;
        o.files = server_files();
        return o;
    }
    TlsClientOptions client_options(std::string host = "localhost") const {
        TlsClientOptions o;
        o.files = client_tls_files_in(dir_);
        o.host = std::move(host);
        return o;
    }

    std::string dir_;
    pki::Credential ca_, server_, client_, other_ca_, other_client_;
};

TEST(TlsFilesTest, AGoodSetPasses) {
    Pki p;
    EXPECT_TRUE(check_tls_files(p.server_files(), TlsRole::Server).ok());
    EXPECT_TRUE(check_tls_files(client_tls_files_in(p.dir_), TlsRole::Client).ok());
}

TEST(TlsFilesTest, EachWrongFileIsNamedWithTheFix) {
    Pki p;
    TlsFiles f = p.server_files();
    f.ca_file = p.path("missing.pem");
    Status s = check_tls_files(f, TlsRole::Server);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message(), HasSubstr("Cannot read CA certificate '" + f.ca_file));
    EXPECT_THAT(s.error().message(), HasSubstr("virtd-pki ca"));

    f = p.server_files();
    f.key_file = p.put("wrongkey.pem", p.client_.key_pem);
    s = check_tls_files(f, TlsRole::Server);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message(), HasSubstr("does not belong to the certificate"));
    EXPECT_THAT(s.error().message(), HasSubstr(f.key_file));

    f = p.server_files();
    f.ca_file = p.put("otherca.pem", p.other_ca_.cert_pem);
    s = check_tls_files(f, TlsRole::Server);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message(), HasSubstr("is not signed by the CA in '" + f.ca_file));
    EXPECT_THAT(s.error().message(), HasSubstr("virtd-pki server --host"));

    f = {p.path("cacert.pem"), p.path("clientcert.pem"), p.path("clientkey.pem"), ""};
    s = check_tls_files(f, TlsRole::Server); // a client certificate where a server's belongs
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message(), HasSubstr("is not for a TLS server"));

    f = p.server_files();
    f.cert_file = p.path("cacert.pem");
    s = check_tls_files(f, TlsRole::Server);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message(), HasSubstr("is a CA certificate"));

    f = p.server_files();
    f.cert_file = p.put("garbage.pem", "not a certificate\n");
    s = check_tls_files(f, TlsRole::Server);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message(), HasSubstr("is not a PEM certificate"));
}

TEST(TlsFilesTest, DnPatternsAreGlobs) {
    EXPECT_TRUE(allowed_by({}, "CN=admin,O=Example"));
    EXPECT_TRUE(allowed_by({"CN=nobody", "CN=*,O=Example"}, "CN=admin,O=Example"));
    EXPECT_FALSE(allowed_by({"CN=ops,*"}, "CN=admin,O=Example"));
}

// Moves bytes between two sessions until both handshakes finish (or one fails).
Status handshake_pair(TlsSession& server, TlsSession& client) {
    std::string to_server, to_client;
    bool server_done = false, client_done = false;
    for (int round = 0; round < 50 && !(server_done && client_done); ++round) {
        if (!client_done) {
            Result<bool> r = client.handshake(to_client);
            if (!r) return r.error();
            client_done = *r;
            client.take_pending(to_server);
        }
        if (!server_done) {
            Result<bool> r = server.handshake(to_server);
            if (!r) return r.error();
            server_done = *r;
            server.take_pending(to_client);
        }
    }
    if (!(server_done && client_done))
        return Error(ErrorCode::InternalError, ErrorDomain::Rpc, "handshake did not finish");
    // TLS 1.3 sends session tickets after the handshake; let the client take them.
    std::string plain;
    return client.decode(to_client, plain);
}

struct SessionPair {
    std::unique_ptr<TlsSession> server, client;
};

SessionPair make_pair(const TlsServerOptions& so, const TlsClientOptions& co) {
    auto sc = TlsCredentials::load_server(so);
    auto cc = TlsCredentials::load_client(co);
    EXPECT_TRUE(sc.ok()) << (sc.ok() ? "" : sc.error().message());
    EXPECT_TRUE(cc.ok()) << (cc.ok() ? "" : cc.error().message());
    auto server = (*sc)->new_session();
    auto client = (*cc)->new_session();
    return {std::move(*server), std::move(*client)};
}

TEST(TlsSessionTest, MutualVerificationAndRecordsBothWays) {
    Pki p;
    TlsServerOptions so = p.server_options();
    so.allowed_dn = {"*,CN=admin"};
    SessionPair s = make_pair(so, p.client_options());
    ASSERT_TRUE(handshake_pair(*s.server, *s.client).ok());
    ASSERT_TRUE(s.client->verify_peer().ok());
    Status v = s.server->verify_peer();
    ASSERT_TRUE(v.ok()) << v.error().message();
    EXPECT_THAT(s.server->peer_dn(), HasSubstr("CN=admin"));
    EXPECT_GE(s.server->key_bits(), 128u);

    std::string big(size_t{200} * 1024, 'x');
    for (size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>(i * 31);
    std::string wire, got;
    ASSERT_TRUE(s.client->encode(big, wire).ok());
    EXPECT_EQ(wire.find(big.substr(0, 64)), std::string::npos); // not in the clear
    // Delivered in odd-sized pieces, as a socket would.
    std::string pending;
    for (size_t off = 0; off < wire.size(); off += 777) {
        pending.append(wire, off, 777);
        ASSERT_TRUE(s.server->decode(pending, got).ok());
    }
    EXPECT_EQ(got, big);
    wire.clear();
    got.clear();
    ASSERT_TRUE(s.server->encode("reply", wire).ok());
    ASSERT_TRUE(s.client->decode(wire, got).ok());
    EXPECT_EQ(got, "reply");
}

TEST(TlsSessionTest, ServerRefusesADnOutsideTheList) {
    Pki p;
    TlsServerOptions so = p.server_options();
    so.allowed_dn = {"*,CN=ops"};
    SessionPair s = make_pair(so, p.client_options());
    ASSERT_TRUE(handshake_pair(*s.server, *s.client).ok());
    Status v = s.server->verify_peer();
    ASSERT_FALSE(v.ok());
    EXPECT_THAT(v.error().message(), HasSubstr("is not in tls_allowed_dn_list"));
}

TEST(TlsSessionTest, ServerRefusesAClientOfAnotherCa) {
    Pki p;
    std::string dir = p.dir_ + "/other";
    std::filesystem::create_directory(dir);
    p.put("other/cacert.pem", p.ca_.cert_pem); // trusts the right CA, but holds a foreign cert
    p.put("other/clientcert.pem", p.other_client_.cert_pem);
    p.put("other/clientkey.pem", p.other_client_.key_pem);
    TlsClientOptions co = p.client_options();
    co.files = client_tls_files_in(dir);
    // The client's own start-up check already refuses the foreign certificate...
    auto refused = TlsCredentials::load_client(co);
    ASSERT_FALSE(refused.ok());
    EXPECT_THAT(refused.error().message(), HasSubstr("is not signed by the CA"));
    // ...so give it the other CA too, as a careless client would have, and the server refuses.
    p.put("other/cacert.pem", p.ca_.cert_pem + p.other_ca_.cert_pem);
    co.files = client_tls_files_in(dir);
    auto sc = TlsCredentials::load_server(p.server_options());
    auto cc = TlsCredentials::load_client(co);
    ASSERT_TRUE(sc.ok());
    ASSERT_TRUE(cc.ok()) << cc.error().message();
    auto server_session = (*sc)->new_session();
    auto client_session = (*cc)->new_session();
    auto server = std::move(*server_session);
    auto client = std::move(*client_session);
    Status hs = handshake_pair(*server, *client);
    if (hs.ok()) {
        Status v = server->verify_peer();
        ASSERT_FALSE(v.ok());
        // GnuTLS clients send only a certificate of a CA the server names, so the server
        // sees none; a client that sends it anyway fails verification.
        EXPECT_THAT(v.error().message(), ::testing::AnyOf(HasSubstr("failed verification"),
                                                          HasSubstr("sent no certificate")));
    }
}

TEST(TlsSessionTest, ClientChecksTheHostNameUnlessNoVerify) {
    Pki p;
    SessionPair s = make_pair(p.server_options(), p.client_options("elsewhere.example"));
    ASSERT_TRUE(handshake_pair(*s.server, *s.client).ok());
    Status v = s.client->verify_peer();
    ASSERT_FALSE(v.ok());
    EXPECT_THAT(v.error().message(), HasSubstr("no_verify=1"));

    TlsClientOptions co = p.client_options("elsewhere.example");
    co.verify_server = false;
    SessionPair ok = make_pair(p.server_options(), co);
    ASSERT_TRUE(handshake_pair(*ok.server, *ok.client).ok());
    EXPECT_TRUE(ok.client->verify_peer().ok());

    SessionPair ip = make_pair(p.server_options(), p.client_options("127.0.0.1"));
    ASSERT_TRUE(handshake_pair(*ip.server, *ip.client).ok());
    EXPECT_TRUE(ip.client->verify_peer().ok()); // the IP SAN matches
}

// A handler for RpcServer: answers connect_get_hostname with the caller's DN.
class DnHandler : public CallHandler {
public:
    Result<std::string> handle_call(const ClientInfo& client, const MessageHeader& h,
                                    std::string_view) override {
        if (h.proc != static_cast<int32_t>(RemoteProc::ConnectGetHostname))
            return unknown_procedure(h.proc);
        XdrWriter w;
        encode(w, ConnectGetHostnameRet{client.x509_dn});
        return w.take();
    }
};

TEST(TlsTransportTest, ServerAndClientTalkOverTlsAndTheDnReachesCalls) {
    Pki p;
    EventLoop loop;
    DnHandler handler;
    RpcServer server(loop, handler);
    auto creds = TlsCredentials::load_server(p.server_options());
    ASSERT_TRUE(creds.ok());
    server.set_tls_credentials(*creds);
    Result<uint16_t> port = server.listen_tls("127.0.0.1", "0");
    ASSERT_TRUE(port.ok());
    std::thread t([&] { loop.run(); });

    auto cc = TlsCredentials::load_client(p.client_options("127.0.0.1"));
    ASSERT_TRUE(cc.ok());
    auto client = RpcClient::connect_tls("127.0.0.1", std::to_string(*port), **cc);
    ASSERT_TRUE(client.ok()) << client.error().message();
    EXPECT_TRUE((*client)->is_tls());
    auto reply = (*client)->call(kRemoteProgram, kRemoteVersion,
                                 static_cast<int32_t>(RemoteProc::ConnectGetHostname), "");
    ASSERT_TRUE(reply.ok()) << reply.error().message();
    XdrReader r(*reply);
    ConnectGetHostnameRet ret;
    ASSERT_TRUE(decode(r, ret));
    EXPECT_THAT(ret.hostname, HasSubstr("CN=admin"));
    // A big call crosses many TLS records each way.
    std::string args(300000, 'a');
    auto big = (*client)->call(kRemoteProgram, kRemoteVersion,
                               static_cast<int32_t>(RemoteProc::ConnectGetHostname), args);
    EXPECT_TRUE(big.ok());
    (*client)->close();

    // A server that allows only other DNs closes the connection: no confirmation byte.
    TlsServerOptions strict = p.server_options();
    strict.allowed_dn = {"*,CN=ops"};
    server.set_tls_credentials(*TlsCredentials::load_server(strict));
    auto refused = RpcClient::connect_tls("127.0.0.1", std::to_string(*port), **cc);
    ASSERT_FALSE(refused.ok());
    EXPECT_THAT(refused.error().message(), HasSubstr("Unable to read TLS confirmation"));

    loop.stop();
    t.join();
}

} // namespace
} // namespace virtd::rpc
