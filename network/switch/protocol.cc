#include "network/switch/protocol.h"

#include <algorithm>
#include <array>

namespace virtd::network::switchproto {

namespace {

void put16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
    put16(out, static_cast<uint16_t>(v >> 16));
    put16(out, static_cast<uint16_t>(v));
}

uint16_t get16(std::span<const uint8_t> m, size_t at) {
    return static_cast<uint16_t>(m[at] << 8 | m[at + 1]);
}

uint32_t get32(std::span<const uint8_t> m, size_t at) {
    return static_cast<uint32_t>(get16(m, at)) << 16 | get16(m, at + 2);
}

Error bad_hello(std::string_view why) {
    return make_error(ErrorCode::InvalidArg, ErrorDomain::Network, "malformed port hello: {}", why);
}

constexpr uint16_t kModeAccess = 0;
constexpr uint16_t kModeTrunk = 1;
constexpr uint16_t kStatusAccepted = 0;
constexpr uint16_t kStatusRefused = 1;

} // namespace

std::vector<uint8_t> encode_hello(const Hello& hello) {
    std::vector<uint8_t> out;
    out.reserve(kHelloHeaderSize + 2 * hello.vlan.allowed.size());
    put32(out, kHelloMagic);
    put16(out, kVersion);
    put16(out, hello.vlan.trunk ? kModeTrunk : kModeAccess);
    out.insert(out.end(), hello.mac.bytes().begin(), hello.mac.bytes().end());
    if (!hello.vlan.trunk) {
        put16(out, hello.vlan.access_vlan);
        return out;
    }
    put16(out, static_cast<uint16_t>(hello.vlan.allowed.size()));
    for (uint16_t id : hello.vlan.allowed)
        put16(out, id);
    return out;
}

Result<Hello> decode_hello(std::span<const uint8_t> msg) {
    if (msg.size() < kHelloHeaderSize)
        return bad_hello(
            fmt::format("{} bytes, shorter than the {}-byte header", msg.size(), kHelloHeaderSize));
    if (get32(msg, 0) != kHelloMagic) return bad_hello("bad magic");
    if (uint16_t version = get16(msg, 4); version != kVersion)
        return bad_hello(fmt::format("version {}, this switch speaks {}", version, kVersion));
    uint16_t mode = get16(msg, 6);
    std::array<uint8_t, 6> mac{};
    std::copy_n(msg.begin() + 8, mac.size(), mac.begin());
    Hello hello{MacAddress(mac), {}};
    if (hello.mac.is_multicast() || hello.mac == MacAddress())
        return bad_hello(fmt::format("MAC {} is not a unicast address", hello.mac.format()));
    uint16_t word = get16(msg, 14);
    if (mode == kModeAccess) {
        if (msg.size() != kHelloHeaderSize)
            return bad_hello("trailing bytes after an access hello");
        hello.vlan = VlanMode::access(word);
    } else if (mode == kModeTrunk) {
        if (word == 0 || word > kMaxVlanId)
            return bad_hello(fmt::format("{} trunk VLANs (1..{} allowed)", word, kMaxVlanId));
        if (msg.size() != kHelloHeaderSize + 2 * size_t{word})
            return bad_hello(fmt::format("{} bytes for {} trunk VLANs", msg.size(), word));
        hello.vlan.trunk = true;
        hello.vlan.allowed.reserve(word);
        for (size_t i = 0; i < word; i++)
            hello.vlan.allowed.push_back(get16(msg, kHelloHeaderSize + 2 * i));
    } else {
        return bad_hello(fmt::format("unknown mode {}", mode));
    }
    // The ids are checked as sent (ascending, distinct): a sender that cannot sort is broken.
    if (Status s = hello.vlan.validate(); !s) return bad_hello(s.error().message());
    return hello;
}

std::vector<uint8_t> encode_accept() {
    std::vector<uint8_t> out;
    put32(out, kAnswerMagic);
    put16(out, kVersion);
    put16(out, kStatusAccepted);
    return out;
}

std::vector<uint8_t> encode_refusal(std::string_view why) {
    std::vector<uint8_t> out;
    put32(out, kAnswerMagic);
    put16(out, kVersion);
    put16(out, kStatusRefused);
    why = why.substr(0, kMaxRefusalText);
    out.insert(out.end(), why.begin(), why.end());
    return out;
}

Status decode_answer(std::span<const uint8_t> msg) {
    auto bad = [](std::string_view why) {
        return make_error(ErrorCode::Rpc, ErrorDomain::Network, "malformed switch answer: {}", why);
    };
    if (msg.size() < kAnswerHeaderSize) return bad("too short");
    if (msg.size() > kMaxAnswerSize) return bad("too long");
    if (get32(msg, 0) != kAnswerMagic) return bad("bad magic");
    if (get16(msg, 4) != kVersion) return bad(fmt::format("version {}", get16(msg, 4)));
    uint16_t status = get16(msg, 6);
    if (status == kStatusAccepted) {
        if (msg.size() != kAnswerHeaderSize) return bad("trailing bytes after accept");
        return {};
    }
    if (status != kStatusRefused) return bad(fmt::format("unknown status {}", status));
    std::string why(msg.begin() + kAnswerHeaderSize, msg.end());
    // The text comes from another process: keep log lines and terminals safe.
    std::replace_if(
        why.begin(), why.end(),
        [](char c) {
            auto u = static_cast<unsigned char>(c);
            return u < 0x20 || u == 0x7f;
        },
        '?');
    return make_error(ErrorCode::OperationDenied, ErrorDomain::Network,
                      "switch refused the port: {}", why);
}

} // namespace virtd::network::switchproto
