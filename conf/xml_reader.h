// XmlReader and XmlElement: strict, line-aware reading of one XML document into conf/ objects.
//
// Every attribute, child element and text a parser reads is marked as understood; when reading is
// done, XmlReader::finish() reports everything nobody read as unknown, naming its line. Problems
// are collected rather than thrown, so one pass reports every error in a document. Not thread-safe:
// one reader per document, used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <pugixml.hpp>

#include "common/enum_table.h"

namespace virtd::conf {

class XmlReader;

// The two spellings of a boolean attribute: yes/no (and on/off, read through the same enum).
enum class YesNo { No, Yes, Last = Yes };

// A handle on one element of the document an XmlReader is reading. Cheap to copy.
class XmlElement {
public:
    XmlElement() = default;
    XmlElement(pugi::xml_node node, XmlReader* reader)
        : node_(node)
        , reader_(reader) {}

    explicit operator bool() const { return static_cast<bool>(node_); }
    std::string_view name() const { return node_.name(); }
    int line() const;

    // The attribute's text, or nullopt when absent.
    std::optional<std::string> attr(const char* name) const;
    // Like attr(), but reports "missing attribute 'x'" when absent.
    std::optional<std::string> required_attr(const char* name) const;
    // The element's text content, whitespace-trimmed.
    std::string text() const;
    // The text, reporting "must not be empty" when it is.
    std::optional<std::string> required_text() const;

    // The child element with this name (a null handle if absent); a second one is an error.
    XmlElement child(const char* name) const;
    // Like child(), but reports "missing element 'x'" when absent.
    XmlElement required_child(const char* name) const;
    // Every child element with this name, in document order.
    std::vector<XmlElement> children(const char* name) const;
    // Every child element, in document order, not yet marked as read (callers read each).
    std::vector<XmlElement> all_children() const;
    // Marks this element as read, and (with subtree) everything below it: for content kept
    // verbatim.
    void take(bool subtree = false) const;
    // The child nodes serialized verbatim (for <metadata>); marks the subtree as read.
    std::string inner_xml() const;

    // Typed attribute reads. Each reports a problem through the reader and returns nullopt.
    template <typename E, size_t N>
    std::optional<E> attr_enum(const char* name, const EnumTable<E, N>& table) const {
        std::optional<std::string> text = attr(name);
        if (!text) return std::nullopt;
        std::optional<E> value = table.parse(*text);
        if (!value) bad_choice(name, *text, table.list());
        return value;
    }
    template <typename E, size_t N>
    std::optional<E> required_enum(const char* name, const EnumTable<E, N>& table) const {
        if (!has_attr(name)) {
            error(std::string("missing attribute '") + name + "'");
            return std::nullopt;
        }
        return attr_enum(name, table);
    }
    // Element text as one of a table's names.
    template <typename E, size_t N>
    std::optional<E> text_enum(const EnumTable<E, N>& table) const {
        std::string t = text();
        std::optional<E> value = table.parse(t);
        if (!value) bad_choice(nullptr, t, table.list());
        return value;
    }
    std::optional<bool> attr_yes_no(const char* name) const;
    std::optional<bool> attr_on_off(const char* name) const;
    std::optional<uint64_t> attr_uint(const char* name, uint64_t min, uint64_t max) const;
    // Like attr_uint(), but reports "missing attribute 'x'" when absent.
    std::optional<uint64_t> required_uint(const char* name, uint64_t min, uint64_t max) const;
    std::optional<int64_t> attr_int(const char* name, int64_t min, int64_t max) const;
    std::optional<uint64_t> text_uint(uint64_t min, uint64_t max) const;
    // A size: text with an optional 'unit' attribute (conf/units.h), in bytes, at least min_bytes.
    std::optional<uint64_t> text_size(uint64_t default_scale, uint64_t min_bytes = 0) const;

    bool has_attr(const char* name) const { return static_cast<bool>(node_.attribute(name)); }

    // Reports "line N: <name>: message".
    void error(const std::string& message) const;

    pugi::xml_node node() const { return node_; }

private:
    void bad_choice(const char* attr_name, std::string_view got, const std::string& expected) const;
    std::optional<uint64_t> parse_uint(std::string_view what, std::string_view text, uint64_t min,
                                       uint64_t max) const;

    pugi::xml_node node_;
    XmlReader* reader_ = nullptr;
};

class XmlReader {
public:
    // Largest document accepted; definitions are small, and this bounds every later walk.
    static constexpr size_t kMaxDocumentSize = 4 << 20;
    static constexpr int kMaxDepth = 64;

    // Parses `text`. A syntax error is recorded (root() then returns a null handle).
    explicit XmlReader(std::string_view text);
    XmlReader(const XmlReader&) = delete;
    XmlReader& operator=(const XmlReader&) = delete;

    // The root element's name, or "" when the document did not parse (see finish()).
    std::string_view root_name() const { return parsed_ ? doc_.document_element().name() : ""; }

    // The root element; reports an error when its name is not `expected`.
    XmlElement root(const char* expected);

    // Records a problem at a line ("line 4: memory: unknown unit 'MiBs'").
    void error(int line, std::string_view element, std::string_view message);
    bool has_errors() const { return !errors_.empty(); }

    // Reports every element, attribute and text that no parser read, then returns all problems
    // ordered by line.
    std::vector<std::string> finish();

    // Used by XmlElement.
    int line_of(pugi::xml_node node) const;
    void mark(const void* object) { read_.insert(object); }
    bool marked(const void* object) const { return read_.count(object) != 0; }

private:
    int line_at(ptrdiff_t offset) const;
    void report_unread(pugi::xml_node root);

    pugi::xml_document doc_;
    bool parsed_ = false;
    std::vector<size_t> newlines_; // offsets of '\n' in the text, for line numbers
    std::unordered_set<const void*> read_;
    std::vector<std::pair<int, std::string>> errors_;
};

} // namespace virtd::conf
