#include "tools/vsh/table.h"

#include <algorithm>

namespace virtd::vsh {
namespace {

// Display width: counts UTF-8 lead bytes, so a name with accents lines up.
size_t width(const std::string& s) {
    return static_cast<size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

} // namespace

std::string Table::render(bool with_header) const {
    std::vector<size_t> widths(header_.size(), 0);
    auto measure = [&](const std::vector<std::string>& row) {
        for (size_t i = 0; i < row.size() && i < widths.size(); i++)
            widths[i] = std::max(widths[i], width(row[i]));
    };
    if (with_header) measure(header_);
    for (const auto& r : rows_)
        measure(r);
    auto line = [&](const std::vector<std::string>& row) {
        std::string out = " ";
        for (size_t i = 0; i < row.size() && i < widths.size(); i++) {
            out += row[i];
            if (i + 1 < row.size()) out += std::string(widths[i] - width(row[i]) + 3, ' ');
        }
        return out + "\n";
    };
    std::string out;
    if (with_header) {
        out += line(header_);
        size_t total = 1 + 2;
        for (size_t w : widths)
            total += w;
        total += 3 * (widths.size() - 1);
        out += std::string(total, '-') + "\n";
    }
    for (const auto& r : rows_)
        out += line(r);
    return out;
}

} // namespace virtd::vsh
