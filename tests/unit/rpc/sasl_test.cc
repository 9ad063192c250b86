// Real Cyrus SASL exchanges between SaslClientSession and SaslServerSession in one process: a
// sasldb made with saslpasswd2 in a temporary folder, SCRAM-SHA-256 on a secure channel,
// DIGEST-MD5 with its security layer on plain TCP, refusals, and malformed records.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc/sasl.h"

namespace virtd::rpc {
namespace {

constexpr const char* kRealm = "virtd-test.example";

std::string temp_dir;

void add_user(const std::string& user, const std::string& password) {
    std::string cmd =
        "saslpasswd2 -c -p -f '" + temp_dir + "/passwd.db' -a virtd -u " + kRealm + " " + user;
    FILE* p = popen(cmd.c_str(), "w");
    ASSERT_NE(p, nullptr);
    fputs(password.c_str(), p);
    int rc = pclose(p);
    ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd;
}

class Sasl : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        char tmpl[] = "/tmp/virtd-sasl-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        temp_dir = tmpl;
        std::ofstream(temp_dir + "/virtd.conf") << "mech_list: scram-sha-256 digest-md5\n"
                                                << "sasldb_path: " << temp_dir << "/passwd.db\n";
        add_user("alice", "wonderland");
        ASSERT_TRUE(sasl_server_setup({"virtd", temp_dir}));
        // The same config again is fine; another one is refused.
        ASSERT_TRUE(sasl_server_setup({"virtd", temp_dir}));
        ASSERT_FALSE(sasl_server_setup({"virtd", "/elsewhere"}));
    }
    static void TearDownTestSuite() {
        std::string cmd = "rm -rf '" + temp_dir + "'";
        (void)std::system(cmd.c_str());
    }
};

SaslPeer peer(bool secure) {
    SaslPeer p;
    p.server_name = kRealm;
    if (!secure) {
        p.local_addr = "127.0.0.1;16509";
        p.remote_addr = "127.0.0.1;40000";
    }
    p.secure_channel = secure;
    return p;
}

SaslCredentials creds(std::string user, std::string pass) {
    return [user, pass](SaslCredKind kind, std::string_view) -> Result<std::string> {
        return kind == SaslCredKind::AuthName ? user : pass;
    };
}

struct Pair {
    std::unique_ptr<SaslServerSession> server;
    std::unique_ptr<SaslClientSession> client;
};

// Runs the exchange the way the RPC client drives it: START, then STEPs until both sides are
// complete. Returns the first error from either side.
Status exchange(Pair& p, const std::string& mech, bool server_secure, bool client_secure,
                const std::string& user, const std::string& pass) {
    auto server = SaslServerSession::create(peer(server_secure));
    if (!server) return server.error();
    auto client = SaslClientSession::create(peer(client_secure), creds(user, pass));
    if (!client) return client.error();
    p.server = std::move(*server);
    p.client = std::move(*client);
    Result<std::string> list = p.server->mechlist();
    if (!list) return list.error();
    Result<SaslClientStart> cs = p.client->start(*list, mech);
    if (!cs) return cs.error();
    if (cs->mech != mech) return make_error(ErrorCode::InternalError, ErrorDomain::None, "mech");
    Result<SaslStep> ss = p.server->start(cs->mech, cs->data);
    if (!ss) return ss.error();
    bool client_done = cs->complete;
    for (int i = 0; i < 20 && !(ss->complete && client_done); i++) {
        Result<SaslStep> c = p.client->step(ss->data);
        if (!c) return c.error();
        client_done = c->complete;
        if (ss->complete && client_done) break;
        ss = p.server->step(c->data);
        if (!ss) return ss.error();
    }
    if (!(ss->complete && client_done))
        return make_error(ErrorCode::InternalError, ErrorDomain::None, "did not finish");
    return {};
}

TEST_F(Sasl, ScramOnASecureChannelNeedsNoLayer) {
    Pair p;
    Status s = exchange(p, "SCRAM-SHA-256", true, true, "alice", "wonderland");
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_TRUE(p.server->complete());
    EXPECT_EQ(p.server->username(), "alice");
    EXPECT_EQ(p.server->ssf(), 0u);
    EXPECT_EQ(p.server->make_layer(), nullptr);
    EXPECT_EQ(p.client->make_layer(), nullptr);
}

TEST_F(Sasl, MechlistIsCommaSeparated) {
    auto server = SaslServerSession::create(peer(true));
    ASSERT_TRUE(server);
    Result<std::string> list = (*server)->mechlist();
    ASSERT_TRUE(list);
    EXPECT_NE(list->find("SCRAM-SHA-256"), std::string::npos) << *list;
    EXPECT_NE(list->find("DIGEST-MD5"), std::string::npos) << *list;
    EXPECT_NE(list->find(','), std::string::npos) << *list;
}

void expect_round_trip(SecurityLayer& from, SecurityLayer& to, const std::string& plain,
                       bool byte_by_byte) {
    std::string wire;
    ASSERT_TRUE(from.encode(plain, wire));
    EXPECT_NE(wire, plain);
    std::string got;
    if (byte_by_byte) {
        std::string pending;
        for (char c : wire) {
            pending.push_back(c);
            Status s = to.decode(pending, got);
            ASSERT_TRUE(s) << s.error().message();
        }
        EXPECT_TRUE(pending.empty());
    } else {
        Status s = to.decode(wire, got);
        ASSERT_TRUE(s) << s.error().message();
        EXPECT_TRUE(wire.empty());
    }
    EXPECT_EQ(got, plain);
}

TEST_F(Sasl, DigestMd5OnPlainTcpWrapsBothDirections) {
    Pair p;
    Status s = exchange(p, "DIGEST-MD5", false, false, "alice", "wonderland");
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(p.server->username(), "alice");
    EXPECT_GE(p.server->ssf(), 56u);
    EXPECT_EQ(p.server->ssf(), p.client->ssf());
    std::unique_ptr<SecurityLayer> server_layer = p.server->make_layer();
    std::unique_ptr<SecurityLayer> client_layer = p.client->make_layer();
    ASSERT_NE(server_layer, nullptr);
    ASSERT_NE(client_layer, nullptr);
    // The layers outlive the sessions that made them.
    p.server.reset();
    p.client.reset();

    // On the wire exactly as libvirt sends it: sasl_encode's output, whose first word is the
    // length of the rest (a 32-byte message: 00000030 + 48 bytes), no second length word.
    std::string small;
    ASSERT_TRUE(client_layer->encode(std::string(32, 'm'), small));
    ASSERT_EQ(small.size(), 52u);
    EXPECT_EQ(small.substr(0, 4), std::string("\0\0\0\x30", 4));
    std::string small_plain;
    ASSERT_TRUE(server_layer->decode(small, small_plain));
    EXPECT_EQ(small_plain, std::string(32, 'm'));

    expect_round_trip(*client_layer, *server_layer, "hello server", false);
    expect_round_trip(*server_layer, *client_layer, "hello client", false);

    std::string big(200 * 1024, '\0');
    for (size_t i = 0; i < big.size(); i++)
        big[i] = static_cast<char>(i * 7 + (i >> 9));
    std::string wire;
    ASSERT_TRUE(client_layer->encode(big, wire));
    // More than one record: the plaintext went through sasl_encode in maxoutbuf chunks.
    uint32_t first = (uint32_t(uint8_t(wire[0])) << 24) | (uint32_t(uint8_t(wire[1])) << 16) |
                     (uint32_t(uint8_t(wire[2])) << 8) | uint8_t(wire[3]);
    EXPECT_LT(first + 4, wire.size());
    std::string got;
    std::string pending;
    for (char c : wire) {
        pending.push_back(c);
        ASSERT_TRUE(server_layer->decode(pending, got));
    }
    EXPECT_EQ(got, big);
    expect_round_trip(*server_layer, *client_layer, big, true);
}

Error failure(const std::string& user, const std::string& pass, const std::string& mech) {
    Pair p;
    Status s = exchange(p, mech, mech != "DIGEST-MD5", mech != "DIGEST-MD5", user, pass);
    EXPECT_FALSE(s);
    return s ? Error(ErrorCode::Ok, ErrorDomain::None, "") : s.error();
}

TEST_F(Sasl, WrongPasswordAndUnknownUserReadTheSame) {
    for (const std::string mech : {"DIGEST-MD5", "SCRAM-SHA-256"}) {
        Error wrong = failure("alice", "guess", mech);
        Error unknown = failure("mallory", "guess", mech);
        EXPECT_EQ(wrong.code(), ErrorCode::AuthFailed);
        EXPECT_EQ(wrong.message(), unknown.message()) << mech;
        EXPECT_EQ(wrong.message().find("not found"), std::string::npos) << wrong.message();
        EXPECT_EQ(wrong.message().find("unknown user"), std::string::npos) << wrong.message();
        EXPECT_NE(wrong.message().find("authentication failed"), std::string::npos);
    }
}

// Which call fails must not tell an unknown user from a wrong password either: both get a
// challenge from START and fail at the STEP after; the decoy salt for a name stays the same.
TEST_F(Sasl, ScramFailsAtTheSameStepForUnknownUsers) {
    std::string salts[2];
    for (int round = 0; round < 2; ++round)
        for (const std::string user : {"alice", "mallory"}) {
            auto server = SaslServerSession::create(peer(true));
            auto client = SaslClientSession::create(peer(true), creds(user, "guess"));
            ASSERT_TRUE(server && client);
            Result<SaslClientStart> cs = (*client)->start(*(*server)->mechlist(), "SCRAM-SHA-256");
            ASSERT_TRUE(cs);
            Result<SaslStep> challenge = (*server)->start(cs->mech, cs->data);
            ASSERT_TRUE(challenge) << user << ": " << challenge.error().message();
            ASSERT_TRUE(challenge->data);
            EXPECT_NE(challenge->data->find(",s="), std::string::npos) << *challenge->data;
            EXPECT_NE(challenge->data->find(",i=4096"), std::string::npos) << *challenge->data;
            if (user == "mallory") {
                std::string salt = challenge->data->substr(challenge->data->find(",s="));
                salt = salt.substr(0, salt.find(",i="));
                if (round == 1) {
                    EXPECT_EQ(salt, salts[0]);
                }
                salts[round] = salt;
            }
            Result<SaslStep> proof = (*client)->step(challenge->data);
            ASSERT_TRUE(proof);
            Result<SaslStep> verdict = (*server)->step(proof->data);
            ASSERT_FALSE(verdict);
            EXPECT_EQ(verdict.error().message(), "authentication failed");
        }
}

TEST_F(Sasl, ScramIsTooWeakForPlainTcp) {
    // The plain-TCP server does not even offer it.
    auto server = SaslServerSession::create(peer(false));
    ASSERT_TRUE(server);
    Result<std::string> list = (*server)->mechlist();
    ASSERT_TRUE(list);
    EXPECT_EQ(list->find("SCRAM"), std::string::npos) << *list;

    // A client on plain TCP will not pick it.
    auto client = SaslClientSession::create(peer(false), creds("alice", "wonderland"));
    ASSERT_TRUE(client);
    Result<SaslClientStart> cs = (*client)->start("SCRAM-SHA-256", "");
    ASSERT_FALSE(cs);
    EXPECT_NE(cs.error().message().find("56"), std::string::npos) << cs.error().message();

    // A client that thinks the channel is secure is refused by the server.
    auto secure_client = SaslClientSession::create(peer(true), creds("alice", "wonderland"));
    ASSERT_TRUE(secure_client);
    Result<SaslClientStart> scs = (*secure_client)->start("SCRAM-SHA-256", "");
    ASSERT_TRUE(scs) << scs.error().message();
    Result<SaslStep> ss = (*server)->start(scs->mech, scs->data);
    ASSERT_FALSE(ss);
    EXPECT_EQ(ss.error().code(), ErrorCode::AuthFailed);
    EXPECT_TRUE(ss.error().message().find("strong enough") != std::string::npos ||
                ss.error().message().find("not available") != std::string::npos)
        << ss.error().message();
}

TEST_F(Sasl, ServerRefusesOversizedDataAndTooManySteps) {
    auto server = SaslServerSession::create(peer(true));
    ASSERT_TRUE(server);
    Result<SaslStep> r = (*server)->start("SCRAM-SHA-256", std::string(kSaslMaxData + 1, 'x'));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("larger than the limit"), std::string::npos);
    EXPECT_FALSE((*server)->step(std::nullopt));

    auto fresh = SaslServerSession::create(peer(false));
    ASSERT_TRUE(fresh);
    Result<SaslStep> s = (*fresh)->start("DIGEST-MD5", std::nullopt);
    ASSERT_TRUE(s) << s.error().message();
    bool refused = false;
    for (unsigned i = 0; i < kSaslMaxSteps + 2 && !refused; i++)
        refused = !(*fresh)->step(std::string("garbage"));
    EXPECT_TRUE(refused);
}

TEST(SaslRecords, SplitsWholeRecordsAndKeepsTheRest) {
    std::string wire("\0\0\0\3abc\0\0\0\2de\0\0\0\5xy", 19);
    std::vector<std::string> got;
    Status s = split_sasl_records(wire, [&](std::string_view r) -> Status {
        got.emplace_back(r);
        return {};
    });
    ASSERT_TRUE(s);
    EXPECT_EQ(got, (std::vector<std::string>{std::string("\0\0\0\3abc", 7),
                                             std::string("\0\0\0\2de", 6)}));
    EXPECT_EQ(wire, std::string("\0\0\0\5xy", 6));
}

TEST(SaslRecords, RefusesEmptyAndOversizedRecords) {
    auto none = [](std::string_view) -> Status { return {}; };
    std::string zero("\0\0\0\0", 4);
    Status s = split_sasl_records(zero, none);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("0 bytes"), std::string::npos);

    std::string huge("\x01\0\0\x01", 4);
    s = split_sasl_records(huge, none);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("16777217 bytes is larger than the limit 16777216"),
              std::string::npos)
        << s.error().message();
}

TEST_F(Sasl, MalformedRecordsAreErrors) {
    Pair p;
    ASSERT_TRUE(exchange(p, "DIGEST-MD5", false, false, "alice", "wonderland"));
    std::unique_ptr<SecurityLayer> server_layer = p.server->make_layer();
    std::unique_ptr<SecurityLayer> client_layer = p.client->make_layer();
    ASSERT_NE(server_layer, nullptr);
    ASSERT_NE(client_layer, nullptr);
    std::string plain;

    std::string zero("\0\0\0\0", 4);
    EXPECT_FALSE(server_layer->decode(zero, plain));
    std::string huge("\xff\xff\xff\xff", 4);
    EXPECT_FALSE(server_layer->decode(huge, plain));

    // A partial record waits for the rest.
    std::string partial("\0\0\0\x40garbage", 11);
    EXPECT_TRUE(server_layer->decode(partial, plain));
    EXPECT_EQ(partial.size(), 11u);

    // A whole record of garbage fails the MAC check.
    std::string garbage("\0\0\0\x14\0\0\0\x10", 8);
    garbage += std::string(16, 'G');
    Status s = server_layer->decode(garbage, plain);
    EXPECT_FALSE(s);
    EXPECT_TRUE(plain.empty());

    // So does a real record with a flipped byte.
    std::string wire;
    ASSERT_TRUE(client_layer->encode("tampered with", wire));
    wire[6] ^= 1;
    EXPECT_FALSE(server_layer->decode(wire, plain));
    EXPECT_TRUE(plain.empty());
}

} // namespace
} // namespace virtd::rpc
