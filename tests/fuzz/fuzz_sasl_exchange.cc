// Fuzz target: the SASL exchange as an unauthenticated client drives it (AUTH_SASL_START and
// STEP data, rpc/sasl.h SaslServerSession): Cyrus's parsers for DIGEST-MD5 and SCRAM-SHA-256
// client messages and our own (the SCRAM decoy reads the client-first message). The first byte
// picks the mechanism; the rest is split into messages at each "\n--\n". The sasldb holds no
// users, so no input can authenticate: a success aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include <unistd.h>

#include "rpc/sasl.h"

namespace {

// The SASL configuration folder, removed when the process exits.
const std::string& config_dir() {
    static const std::string dir =
        std::filesystem::temp_directory_path() / ("virtd-fuzz-sasl-" + std::to_string(::getpid()));
    return dir;
}

bool setup() {
    const std::string& dir = config_dir();
    std::filesystem::create_directories(dir);
    std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(config_dir(), ignored);
    });
    std::ofstream(dir + "/virtd.conf") << "mech_list: digest-md5 scram-sha-256\n"
                                       << "sasldb_path: " << dir << "/none.db\n";
    return virtd::rpc::sasl_server_setup({"virtd", dir}).ok();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace virtd::rpc;
    static const bool ready = setup();
    if (!ready || size == 0) return 0;
    const char* mech = data[0] & 1 ? "SCRAM-SHA-256" : "DIGEST-MD5";
    bool secure = (data[0] & 2) != 0;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    SaslPeer peer;
    peer.server_name = "fuzz.example";
    peer.secure_channel = secure;
    if (!secure) {
        peer.local_addr = "127.0.0.1;16509";
        peer.remote_addr = "127.0.0.1;40000";
    }
    auto session = SaslServerSession::create(peer);
    if (!session) return 0;
    (void)(*session)->mechlist();
    bool first = true;
    while (true) {
        size_t cut = rest.find("\n--\n");
        std::string_view message = rest.substr(0, cut);
        std::optional<std::string> in;
        if (message != "(nil)") in = std::string(message);
        virtd::Result<SaslStep> r =
            first ? (*session)->start(mech, std::move(in)) : (*session)->step(std::move(in));
        first = false;
        if (!r) break;
        if (r->complete) std::abort(); // nobody is in the sasldb
        if (cut == std::string_view::npos) break;
        rest.remove_prefix(cut + 4);
    }
    return 0;
}
