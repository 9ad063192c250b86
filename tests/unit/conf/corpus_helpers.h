// Walks the XML corpus in tests/data/xml/<type>/{valid,invalid}/ for one conf/ type.
//
// Valid documents must parse, format, and parse back to an equal object whose format is the same
// text (round trip). Each invalid document starts with a comment "<!-- expect: TEXT -->"; it must
// be rejected with an error whose message contains TEXT.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <dirent.h>
#include <gtest/gtest.h>

#include "common/file.h"

namespace virtd::conf::testing {

inline std::string data_dir() {
    const char* d = std::getenv("VIRTD_TEST_DATA");
    return d ? d : "tests/data";
}

inline std::vector<std::string> corpus_files(const std::string& type, const std::string& kind) {
    std::string dir = data_dir() + "/xml/" + type + "/" + kind;
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() > 4 && name.ends_with(".xml")) out.push_back(dir + "/" + name);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The TEXT of a leading "<!-- expect: TEXT -->" comment, or "" if there is none.
inline std::string expected_error(const std::string& text) {
    const std::string open = "<!-- expect: ";
    size_t start = text.find(open);
    if (start == std::string::npos) return "";
    start += open.size();
    size_t end = text.find(" -->", start);
    return end == std::string::npos ? "" : text.substr(start, end - start);
}

template <typename T>
size_t check_valid_corpus(const std::string& type) {
    std::vector<std::string> files = corpus_files(type, "valid");
    for (const std::string& file : files) {
        SCOPED_TRACE(file);
        Result<std::string> text = read_file(file);
        if (!text.ok()) {
            ADD_FAILURE() << "cannot read " << file;
            continue;
        }
        Result<T> parsed = T::parse(*text);
        if (!parsed.ok()) {
            ADD_FAILURE() << "rejected: " << parsed.error().message();
            continue;
        }
        std::string formatted = parsed->format();
        Result<T> again = T::parse(formatted);
        if (!again.ok()) {
            ADD_FAILURE() << "formatted output rejected: " << again.error().message() << "\n"
                          << formatted;
            continue;
        }
        EXPECT_TRUE(*again == *parsed) << "round trip changed the object:\n" << formatted;
        EXPECT_EQ(again->format(), formatted);
    }
    return files.size();
}

template <typename T>
size_t check_invalid_corpus(const std::string& type) {
    std::vector<std::string> files = corpus_files(type, "invalid");
    for (const std::string& file : files) {
        SCOPED_TRACE(file);
        Result<std::string> text = read_file(file);
        if (!text.ok()) {
            ADD_FAILURE() << "cannot read " << file;
            continue;
        }
        std::string expect = expected_error(*text);
        EXPECT_FALSE(expect.empty()) << "invalid document without an <!-- expect: ... --> comment";
        Result<T> parsed = T::parse(*text);
        if (parsed.ok()) {
            ADD_FAILURE() << "accepted, expected an error containing: " << expect;
            continue;
        }
        EXPECT_NE(parsed.error().message().find(expect), std::string::npos)
            << "expected: " << expect << "\ngot: " << parsed.error().message();
    }
    return files.size();
}

} // namespace virtd::conf::testing
