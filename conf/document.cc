#include "conf/document.h"

namespace virtd::conf {

Error document_error(const DocumentKind& kind, ErrorCode code,
                     const std::vector<std::string>& problems) {
    std::string message = fmt::format("invalid {} definition", kind.root);
    for (const std::string& p : problems)
        message += "\n" + p;
    return Error(code, kind.domain, message);
}

std::string read_object_name(const XmlElement& root) {
    XmlElement name = root.required_child("name");
    if (!name) return "";
    std::string text = name.text();
    check_object_name(name, text);
    return text;
}

Uuid read_object_uuid(const XmlElement& root) {
    XmlElement uuid = root.child("uuid");
    if (!uuid) return {};
    Result<Uuid> u = Uuid::parse(uuid.text());
    if (!u) {
        uuid.error(u.error().message());
        return {};
    }
    return *u;
}

bool is_interface_name(std::string_view name) {
    constexpr size_t kMaxLength = 15; // IFNAMSIZ - 1
    if (name.empty() || name.size() > kMaxLength || name.front() == '.') return false;
    for (char c : name) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '_' && c != '.' && c != '-') return false;
    }
    return true;
}

bool check_object_name(const XmlElement& e, std::string_view name) {
    if (name.empty()) {
        e.error("name must not be empty");
        return false;
    }
    if (name.find('/') != std::string_view::npos) {
        e.error(fmt::format("name '{}' must not contain '/'", name));
        return false;
    }
    for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x20) {
            e.error("name must not contain control characters");
            return false;
        }
    }
    return true;
}

} // namespace virtd::conf
