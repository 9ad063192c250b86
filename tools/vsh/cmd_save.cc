// Saving and restoring a running domain's state: save, restore.
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

bool cmd_save(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    std::string file = args.str("file");
    if (Status s = d->save(file); !s)
        return vsh.fail(s.error(), "Failed to save domain '{}' to {}", d->name(), file);
    // virsh ends its (here empty) progress line first.
    vsh.extra("\nDomain '{}' saved to {}\n", d->name(), file);
    return true;
}

bool cmd_restore(Vsh& vsh, const Args& args) {
    std::string file = args.str("file");
    if (Status s = vsh.conn()->restore_domain(file); !s)
        return vsh.fail(s.error(), "Failed to restore domain from {}", file);
    vsh.extra("Domain restored from {}\n", file);
    return true;
}

} // namespace

std::vector<CommandDef> save_commands() {
    return {
        {"save",
         "domain",
         "save a domain state to a file",
         "Save the RAM state of a running "
         "domain.",
         {{"domain", OptType::String, kRequired | kPositional, "domain name, id or uuid",
           Complete::Domain},
          {"file", OptType::String, kRequired | kPositional, "where to save the data",
           Complete::File},
          {"verbose", OptType::Bool, 0, "display the progress of save"}},
         cmd_save},
        {"restore",
         "domain",
         "restore a domain from a saved state in a file",
         "Restore a domain.",
         {{"file", OptType::String, kRequired | kPositional, "the state to restore",
           Complete::File}},
         cmd_restore},
    };
}

} // namespace virtd::vsh
