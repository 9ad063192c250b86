// Test helper: reads the text dtc prints for a device tree (dtc -O dts) into node paths and
// their properties, and puts phandle references into a form two trees can be compared in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace virtd::pv::testing {

struct DtsTree {
    // path ("/soc/plic@c000000") -> property name -> value text as dtc prints it ("" if empty)
    std::map<std::string, std::map<std::string, std::string>> nodes;
};

inline DtsTree parse_dts(const std::string& text) {
    DtsTree tree;
    std::vector<std::string> stack;
    std::istringstream in(text);
    std::string line;
    static const std::regex open(R"(^\s*(\S+) \{$)");
    static const std::regex close(R"(^\s*\};$)");
    static const std::regex prop(R"(^\s*([^=\s;]+)(?: = (.*))?;$)");
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_match(line, m, open)) {
            std::string name = m[1];
            std::string path = stack.empty()         ? std::string("/")
                               : stack.back() == "/" ? "/" + name
                                                     : stack.back() + "/" + name;
            stack.push_back(path);
            tree.nodes[path];
        } else if (std::regex_match(line, m, close)) {
            if (!stack.empty()) stack.pop_back();
        } else if (!stack.empty() && std::regex_match(line, m, prop)) {
            tree.nodes[stack.back()][m[1]] = m[2];
        }
    }
    return tree;
}

// "<0x01 0x02>" -> {1, 2}; nothing for values that are not one cell list.
inline std::optional<std::vector<uint32_t>> cells(const std::string& value) {
    if (value.size() < 2 || value.front() != '<' || value.back() != '>') return std::nullopt;
    std::vector<uint32_t> out;
    std::istringstream in(value.substr(1, value.size() - 2));
    std::string word;
    while (in >> word)
        out.push_back(static_cast<uint32_t>(std::stoul(word, nullptr, 0)));
    return out;
}

// A cell list read as one big-endian number (initrd addresses come as 1 or 2 cells).
inline uint64_t number(const std::string& value) {
    uint64_t n = 0;
    for (uint32_t c : cells(value).value_or(std::vector<uint32_t>{}))
        n = (n << 32) | c;
    return n;
}

// The path of the node whose phandle is p, or "?".
inline std::string phandle_path(const DtsTree& tree, uint32_t p) {
    for (const auto& [path, props] : tree.nodes) {
        auto it = props.find("phandle");
        if (it != props.end() && cells(it->second) == std::vector<uint32_t>{p}) return path;
    }
    return "?";
}

// A property whose cells at even positions (stride 2) or every position (stride 1) are
// phandles, rewritten with node paths in their place.
inline std::string resolve_phandles(const DtsTree& tree, const std::string& value, size_t stride) {
    auto c = cells(value);
    if (!c) return value;
    std::string out;
    for (size_t i = 0; i < c->size(); i++) {
        if (!out.empty()) out += ' ';
        out += i % stride == 0 ? phandle_path(tree, (*c)[i]) : std::to_string((*c)[i]);
    }
    return out;
}

} // namespace virtd::pv::testing
