// EnumTable: the one list that maps an enum's values to their XML/config spellings and back.
//
// Every enum used with a table ends with an alias `Last = <last enumerator>`; the table checks at
// compile time that it has exactly one name per enumerator, so adding a value is a two-line change
// (the enumerator and its name) that the compiler will not let you half-do.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace virtd {

template <typename E, size_t N>
class EnumTable {
    static_assert(N == static_cast<size_t>(E::Last) + 1, "EnumTable needs one name per enumerator");

public:
    template <typename... Names>
    constexpr explicit EnumTable(Names... names)
        : names_{std::string_view(names)...} {}

    constexpr std::string_view name(E value) const { return names_[static_cast<size_t>(value)]; }

    constexpr std::optional<E> parse(std::string_view text) const {
        for (size_t i = 0; i < N; i++)
            if (names_[i] == text) return static_cast<E>(i);
        return std::nullopt;
    }

    // "raw, qcow2": for error messages that say what was expected.
    std::string list() const {
        std::string out;
        for (size_t i = 0; i < N; i++) {
            if (i) out += ", ";
            out += names_[i];
        }
        return out;
    }

private:
    std::array<std::string_view, N> names_;
};

// Deduces N from the names: `constexpr auto kFormats = make_enum_table<Format>("raw", "qcow2");`
template <typename E, typename... Names>
constexpr EnumTable<E, sizeof...(Names)> make_enum_table(Names... names) {
    return EnumTable<E, sizeof...(Names)>(names...);
}

} // namespace virtd
