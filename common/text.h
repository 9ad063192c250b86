// Small text helpers the line-based parsers share (virtd.conf, auth.conf, XML text content).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fnmatch.h>

namespace virtd {

// `s` without leading and trailing blanks (space, tab, CR, LF).
inline std::string_view trim(std::string_view s) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return s;
}

// Whether `text` matches the shell glob `pattern` (*, ?, [...]), as libvirt's allow lists do.
inline bool glob_matches(const std::string& pattern, std::string_view text) {
    return fnmatch(pattern.c_str(), std::string(text).c_str(), 0) == 0;
}

// Whether `text` matches one of `patterns`; an empty list allows everything.
inline bool allowed_by(const std::vector<std::string>& patterns, std::string_view text) {
    return patterns.empty() ||
           std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return glob_matches(p, text); });
}

} // namespace virtd
