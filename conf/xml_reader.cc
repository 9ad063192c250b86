#include "conf/xml_reader.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "common/text.h"
#include "conf/units.h"

namespace virtd::conf {
namespace {

bool is_text(pugi::xml_node n) {
    return n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata;
}

} // namespace

// ---- XmlElement ----------------------------------------------------------------------------

int XmlElement::line() const {
    return reader_ ? reader_->line_of(node_) : 0;
}

void XmlElement::error(const std::string& message) const {
    reader_->error(line(), name(), message);
}

std::optional<std::string> XmlElement::attr(const char* name) const {
    pugi::xml_attribute a = node_.attribute(name);
    if (!a) return std::nullopt;
    reader_->mark(a.internal_object());
    return std::string(a.value());
}

std::optional<std::string> XmlElement::required_attr(const char* name) const {
    std::optional<std::string> value = attr(name);
    if (!value) error(fmt::format("missing attribute '{}'", name));
    return value;
}

std::string XmlElement::text() const {
    std::string out;
    for (pugi::xml_node n = node_.first_child(); n; n = n.next_sibling()) {
        if (!is_text(n)) continue;
        reader_->mark(n.internal_object());
        out += n.value();
    }
    return std::string(trim(out));
}

std::optional<std::string> XmlElement::required_text() const {
    std::string t = text();
    if (t.empty()) {
        error("must not be empty");
        return std::nullopt;
    }
    return t;
}

XmlElement XmlElement::child(const char* name) const {
    pugi::xml_node first = node_.child(name);
    if (!first) return {};
    reader_->mark(first.internal_object());
    for (pugi::xml_node extra = first.next_sibling(name); extra; extra = extra.next_sibling(name)) {
        reader_->mark(extra.internal_object());
        reader_->error(reader_->line_of(extra), name, "given more than once");
    }
    return {first, reader_};
}

XmlElement XmlElement::required_child(const char* name) const {
    XmlElement c = child(name);
    if (!c) error(fmt::format("missing element '{}'", name));
    return c;
}

std::vector<XmlElement> XmlElement::children(const char* name) const {
    std::vector<XmlElement> out;
    for (pugi::xml_node n = node_.child(name); n; n = n.next_sibling(name)) {
        reader_->mark(n.internal_object());
        out.emplace_back(n, reader_);
    }
    return out;
}

std::vector<XmlElement> XmlElement::all_children() const {
    std::vector<XmlElement> out;
    for (pugi::xml_node n = node_.first_child(); n; n = n.next_sibling())
        if (n.type() == pugi::node_element && !reader_->marked(n.internal_object()))
            out.emplace_back(n, reader_);
    return out;
}

void XmlElement::take(bool subtree) const {
    reader_->mark(node_.internal_object());
    if (!subtree) return;
    // Iterative: verbatim content can be nested arbitrarily deep.
    std::vector<pugi::xml_node> stack{node_};
    while (!stack.empty()) {
        pugi::xml_node n = stack.back();
        stack.pop_back();
        reader_->mark(n.internal_object());
        for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute())
            reader_->mark(a.internal_object());
        for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling())
            stack.push_back(c);
    }
}

std::string XmlElement::inner_xml() const {
    take(true);
    std::ostringstream out;
    for (pugi::xml_node n = node_.first_child(); n; n = n.next_sibling())
        n.print(out, "", pugi::format_raw | pugi::format_attribute_single_quote);
    return out.str();
}

void XmlElement::bad_choice(const char* attr_name, std::string_view got,
                            const std::string& expected) const {
    if (attr_name)
        error(fmt::format("attribute '{}': unknown value '{}' (expected one of: {})", attr_name,
                          got, expected));
    else
        error(fmt::format("unknown value '{}' (expected one of: {})", got, expected));
}

std::optional<bool> XmlElement::attr_yes_no(const char* name) const {
    static constexpr auto kYesNo = make_enum_table<YesNo>("no", "yes");
    std::optional<YesNo> v = attr_enum(name, kYesNo);
    if (!v) return std::nullopt;
    return *v == YesNo::Yes;
}

std::optional<bool> XmlElement::attr_on_off(const char* name) const {
    static constexpr auto kOnOff = make_enum_table<YesNo>("off", "on");
    std::optional<YesNo> v = attr_enum(name, kOnOff);
    if (!v) return std::nullopt;
    return *v == YesNo::Yes;
}

std::optional<uint64_t> XmlElement::parse_uint(std::string_view what, std::string_view text,
                                               uint64_t min, uint64_t max) const {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
        error(fmt::format("{}expected an unsigned integer, got '{}'", what, text));
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || v < min || v > max) {
        error(fmt::format("{}{} is out of range {}..{}", what, text, min, max));
        return std::nullopt;
    }
    return v;
}

std::optional<uint64_t> XmlElement::attr_uint(const char* name, uint64_t min, uint64_t max) const {
    std::optional<std::string> t = attr(name);
    if (!t) return std::nullopt;
    return parse_uint(fmt::format("attribute '{}': ", name), *t, min, max);
}

std::optional<uint64_t> XmlElement::required_uint(const char* name, uint64_t min,
                                                  uint64_t max) const {
    if (!has_attr(name)) {
        error(fmt::format("missing attribute '{}'", name));
        return std::nullopt;
    }
    return attr_uint(name, min, max);
}

std::optional<int64_t> XmlElement::attr_int(const char* name, int64_t min, int64_t max) const {
    std::optional<std::string> t = attr(name);
    if (!t) return std::nullopt;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
    if (t->empty() || ec == std::errc::invalid_argument || end != t->data() + t->size()) {
        error(fmt::format("attribute '{}': expected an integer, got '{}'", name, *t));
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || v < min || v > max) {
        error(fmt::format("attribute '{}': {} is out of range {}..{}", name, *t, min, max));
        return std::nullopt;
    }
    return v;
}

std::optional<uint64_t> XmlElement::text_uint(uint64_t min, uint64_t max) const {
    return parse_uint("", text(), min, max);
}

std::optional<uint64_t> XmlElement::text_size(uint64_t default_scale, uint64_t min_bytes) const {
    std::optional<std::string> unit = attr("unit");
    Result<uint64_t> bytes = size_to_bytes(text(), unit.value_or(""), default_scale);
    if (!bytes) {
        error(bytes.error().message());
        return std::nullopt;
    }
    if (*bytes < min_bytes) {
        error(min_bytes == 1 ? std::string("must be greater than 0")
                             : fmt::format("must be at least {} bytes", min_bytes));
        return std::nullopt;
    }
    return *bytes;
}

// ---- XmlReader -----------------------------------------------------------------------------

XmlReader::XmlReader(std::string_view text) {
    for (size_t i = 0; i < text.size(); i++)
        if (text[i] == '\n') newlines_.push_back(i);
    if (text.size() > kMaxDocumentSize) {
        error(1, "document",
              fmt::format("is {} bytes, larger than the limit of {} bytes", text.size(),
                          kMaxDocumentSize));
        return;
    }
    pugi::xml_parse_result r = doc_.load_buffer(
        text.data(), text.size(), pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
    if (!r) {
        error(line_at(r.offset), "document", fmt::format("XML syntax error: {}", r.description()));
        return;
    }
    for (pugi::xml_node n = doc_.first_child(); n; n = n.next_sibling()) {
        if (n.type() == pugi::node_doctype) {
            // Entities are how XML bombs and external-file reads happen; definitions need none.
            error(line_of(n), "document", "a DOCTYPE declaration is not allowed");
            return;
        }
    }
    parsed_ = true;
}

XmlElement XmlReader::root(const char* expected) {
    if (!parsed_) return {};
    pugi::xml_node r = doc_.document_element();
    if (!r) {
        error(1, "document", fmt::format("no root element (expected <{}>)", expected));
        return {};
    }
    mark(r.internal_object());
    if (std::string_view(r.name()) != expected) {
        error(line_of(r), r.name(),
              fmt::format("unexpected root element (expected <{}>)", expected));
        parsed_ = false; // nothing below it is worth reporting
        return {};
    }
    return {r, this};
}

void XmlReader::error(int line, std::string_view element, std::string_view message) {
    errors_.emplace_back(line, fmt::format("line {}: {}: {}", line, element, message));
}

int XmlReader::line_at(ptrdiff_t offset) const {
    if (offset < 0) return 0;
    auto it = std::lower_bound(newlines_.begin(), newlines_.end(), static_cast<size_t>(offset));
    return static_cast<int>(it - newlines_.begin()) + 1;
}

int XmlReader::line_of(pugi::xml_node node) const {
    return line_at(node.offset_debug());
}

void XmlReader::report_unread(pugi::xml_node root) {
    // Iterative walk: depth is bounded here, not by the stack.
    struct Item {
        pugi::xml_node node;
        int depth;
    };
    std::vector<Item> stack{{root, 0}};
    while (!stack.empty()) {
        Item it = stack.back();
        stack.pop_back();
        pugi::xml_node n = it.node;
        if (it.depth > kMaxDepth) {
            error(line_of(n), n.name(), fmt::format("nested deeper than {} levels", kMaxDepth));
            continue;
        }
        if (!marked(n.internal_object())) {
            error(line_of(n), n.parent().name(), fmt::format("unknown element '{}'", n.name()));
            continue; // its contents are unknown too; one message is enough
        }
        for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
            std::string_view name = a.name();
            // Namespace declarations belong to XML, not to the object model.
            if (name == "xmlns" || name.starts_with("xmlns:")) continue;
            if (!marked(a.internal_object()))
                error(line_of(n), n.name(), fmt::format("unknown attribute '{}'", name));
        }
        for (pugi::xml_node c = n.last_child(); c; c = c.previous_sibling()) {
            if (c.type() == pugi::node_element) {
                stack.push_back({c, it.depth + 1});
            } else if (is_text(c) && !marked(c.internal_object()) && !trim(c.value()).empty()) {
                error(line_of(n), n.name(), fmt::format("unexpected text '{}'", trim(c.value())));
            }
        }
    }
}

std::vector<std::string> XmlReader::finish() {
    if (parsed_) report_unread(doc_.document_element());
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    out.reserve(errors_.size());
    for (auto& e : errors_)
        out.push_back(std::move(e.second));
    errors_.clear();
    return out;
}

} // namespace virtd::conf
