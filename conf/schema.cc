#include "conf/schema.h"

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <sys/stat.h>

#include "common/file.h"

namespace virtd::conf {
namespace {

struct RngFree {
    void operator()(xmlRelaxNGPtr p) const { xmlRelaxNGFree(p); }
};

struct CompiledSchema {
    std::unique_ptr<xmlRelaxNG, RngFree> rng;
    std::string load_error; // set when the schema itself could not be compiled
};

struct Diagnostics {
    std::vector<std::string> list;
};

void collect(void* data, xmlErrorPtr err) {
    auto* d = static_cast<Diagnostics*>(data);
    std::string msg = err->message ? err->message : "unknown error";
    while (!msg.empty() && msg.back() == '\n')
        msg.pop_back();
    const char* element = "document";
    if (err->node && static_cast<xmlNodePtr>(err->node)->name)
        element = reinterpret_cast<const char*>(static_cast<xmlNodePtr>(err->node)->name);
    d->list.push_back(fmt::format("line {}: {}: schema: {}", err->line, element, msg));
}

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

CompiledSchema compile(const std::string& path) {
    CompiledSchema out;
    Diagnostics diags;
    xmlRelaxNGParserCtxtPtr pctx = xmlRelaxNGNewParserCtxt(path.c_str());
    xmlRelaxNGSetParserStructuredErrors(pctx, collect, &diags);
    out.rng.reset(xmlRelaxNGParse(pctx));
    xmlRelaxNGFreeParserCtxt(pctx);
    if (!out.rng) {
        out.load_error = fmt::format("schema '{}' could not be loaded", path);
        if (!diags.list.empty()) out.load_error += ": " + diags.list.front();
    }
    return out;
}

// Compiled schemas by file name; compiled on first use, read-only once built, freed at exit.
const CompiledSchema& compiled(std::string_view file) {
    static std::mutex mu;
    static std::map<std::string, CompiledSchema, std::less<>> cache;
    std::lock_guard lock(mu);
    auto it = cache.find(file);
    if (it == cache.end()) {
        xmlInitParser();
        it = cache.emplace(std::string(file), compile(path_join(schema_dir(), file))).first;
    }
    return it->second;
}

} // namespace

std::string schema_dir() {
    if (const char* env = std::getenv("VIRTD_SCHEMA_DIR"); env && *env) return env;
    if (is_dir(VIRTD_SCHEMA_DIR_SRC)) return VIRTD_SCHEMA_DIR_SRC;
    return VIRTD_SCHEMA_DIR_INSTALLED;
}

std::vector<std::string> validate_with_schema(std::string_view schema_file, std::string_view xml) {
    const CompiledSchema& schema = compiled(schema_file);
    if (!schema.rng) return {schema.load_error};

    Diagnostics diags;
    // NONET: never fetch anything; no entity substitution, no DTD loading.
    xmlDocPtr doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "document", nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) return {"line 1: document: not well-formed XML"};
    xmlRelaxNGValidCtxtPtr vctx = xmlRelaxNGNewValidCtxt(schema.rng.get());
    xmlRelaxNGSetValidStructuredErrors(vctx, collect, &diags);
    int rc = xmlRelaxNGValidateDoc(vctx, doc);
    xmlRelaxNGFreeValidCtxt(vctx);
    xmlFreeDoc(doc);
    if (rc != 0 && diags.list.empty())
        diags.list.push_back("line 1: document: does not match the schema");
    return diags.list;
}

} // namespace virtd::conf
