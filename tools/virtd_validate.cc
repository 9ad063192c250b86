// virtd-validate: checks XML definitions the way the daemon will, in the spirit of libvirt's
// virt-xml-validate. Exit 0 and "FILE validates" when valid; exit 1 and every problem, each with
// its line, when not; exit 2 on usage errors.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/file.h"
#include "conf/documents.h"

namespace {

void usage(FILE* out) {
    fmt::print(out, "usage: virtd-validate [--normalize] FILE [TYPE]\n"
                    "  Validates FILE as TYPE (guessed from the root element when not given).\n"
                    "  --normalize  print the document as virtd formats it instead of the verdict\n"
                    "  TYPE: ");
    bool first = true;
    for (const auto& t : virtd::conf::document_types()) {
        fmt::print(out, "{}{}", first ? "" : "|", t.name);
        first = false;
    }
    fmt::print(out, "\n");
}

} // namespace

int main(int argc, char** argv) {
    using namespace virtd::conf;
    bool normalize_out = false;
    std::vector<std::string_view> args;
    for (int i = 1; i < argc; i++) {
        std::string_view a = argv[i];
        if (a == "--normalize") {
            normalize_out = true;
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        } else {
            args.push_back(a);
        }
    }
    if (args.empty() || args.size() > 2) {
        usage(stderr);
        return 2;
    }
    std::string path(args[0]);
    virtd::Result<std::string> text = virtd::read_file(path, 16 << 20);
    if (!text) {
        fmt::print(stderr, "{}: {}\n", path, text.error().message());
        return 2;
    }

    const DocumentType* type = nullptr;
    if (args.size() == 2) {
        type = document_type_by_name(args[1]);
        if (!type) {
            fmt::print(stderr, "{}: unknown document type '{}'\n", path, args[1]);
            usage(stderr);
            return 2;
        }
    } else {
        virtd::Result<std::string> root = root_element_name(*text);
        if (!root) {
            fmt::print(stderr, "{} fails to validate\n{}: {}\n", path, path,
                       root.error().message());
            return 1;
        }
        type = document_type_by_root(*root);
        if (!type) {
            fmt::print(stderr, "{} fails to validate\n", path);
            fmt::print(stderr, "{}: unknown root element <{}>; give the type explicitly\n", path,
                       *root);
            return 1;
        }
    }

    virtd::Result<std::string> normalized = type->normalize(*text);
    if (!normalized) {
        fmt::print(stderr, "{} fails to validate\n", path);
        // The message's first line is a summary; each following line is one problem.
        std::string_view msg = normalized.error().message();
        size_t nl = msg.find('\n');
        if (nl == std::string_view::npos) {
            fmt::print(stderr, "{}: {}\n", path, msg);
            return 1;
        }
        for (msg.remove_prefix(nl + 1); !msg.empty();) {
            nl = msg.find('\n');
            fmt::print(stderr, "{}: {}\n", path, msg.substr(0, nl));
            msg.remove_prefix(nl == std::string_view::npos ? msg.size() : nl + 1);
        }
        return 1;
    }
    if (normalize_out)
        fmt::print("{}", *normalized);
    else
        fmt::print("{} validates\n", path);
    return 0;
}
