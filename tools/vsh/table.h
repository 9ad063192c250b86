// Table: virsh's list layout. A header row, a line of dashes, then rows; columns are
// left-aligned, separated by three spaces and led by one; the last column is not padded.
#pragma once

#include <string>
#include <vector>

namespace virtd::vsh {

class Table {
public:
    explicit Table(std::vector<std::string> header)
        : header_(std::move(header)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    // With the header and dashes, or (quiet) only the rows, sized to the rows alone.
    std::string render(bool with_header) const;

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

} // namespace virtd::vsh
