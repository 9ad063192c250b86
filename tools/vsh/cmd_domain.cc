// The "domain management" group: define, undefine, create, start, shutdown, destroy, reboot,
// reset, suspend, resume, dumpxml, edit, autostart, domid, domname, domuuid.
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <unistd.h>

#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

// libvirt's flag numbers for the options below.
constexpr unsigned kXmlSecure = 1;
constexpr unsigned kXmlInactive = 2;
constexpr unsigned kXmlUpdateCpu = 4;
constexpr unsigned kXmlMigratable = 8;
constexpr unsigned kStartPaused = 1;
constexpr unsigned kStartAutodestroy = 2;
constexpr unsigned kStartBypassCache = 4;
constexpr unsigned kStartForceBoot = 8;
constexpr unsigned kStartValidate = 16;
constexpr unsigned kDefineValidate = 1;

const OptDef kDomainOpt{"domain", OptType::String, kRequired | kPositional,
                        "domain name, id or uuid", Complete::Domain};

bool cmd_define(Vsh& vsh, const Args& args) {
    std::string file = args.str("file");
    Result<std::string> xml = read_file_for(file);
    if (!xml) return vsh.fail(xml.error());
    unsigned flags = args.has("validate") ? kDefineValidate : 0;
    Result<client::Domain> d = vsh.conn()->define_domain(*xml, flags);
    if (!d) return vsh.fail(d.error(), "Failed to define domain from {}", file);
    vsh.extra("Domain '{}' defined from {}\n", d->name(), file);
    return true;
}

bool cmd_create(Vsh& vsh, const Args& args) {
    std::string file = args.str("file");
    Result<std::string> xml = read_file_for(file);
    if (!xml) return vsh.fail(xml.error());
    unsigned flags = (args.has("paused") ? kStartPaused : 0) |
                     (args.has("autodestroy") ? kStartAutodestroy : 0) |
                     (args.has("validate") ? kStartValidate : 0);
    Result<client::Domain> d = vsh.conn()->create_domain(*xml, flags);
    if (!d) return vsh.fail(d.error(), "Failed to create domain from {}", file);
    vsh.extra("Domain '{}' created from {}\n", d->name(), file);
    return true;
}

bool cmd_undefine(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args, "domain", false);
    if (!d) return false;
    if (Status s = d->undefine(); !s)
        return vsh.fail(s.error(), "Failed to undefine domain '{}'", d->name());
    vsh.extra("Domain '{}' has been undefined\n", d->name());
    return true;
}

bool cmd_start(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args, "domain", false);
    if (!d) return false;
    if (d->id() != -1) {
        vsh.error("Domain is already active");
        return false;
    }
    unsigned flags = (args.has("paused") ? kStartPaused : 0) |
                     (args.has("autodestroy") ? kStartAutodestroy : 0) |
                     (args.has("bypass-cache") ? kStartBypassCache : 0) |
                     (args.has("force-boot") ? kStartForceBoot : 0);
    if (Status s = d->create(flags); !s)
        return vsh.fail(s.error(), "Failed to start domain '{}'", d->name());
    vsh.extra("Domain '{}' started\n", d->name());
    return true;
}

// shutdown and reboot take --mode acpi,agent,initctl,signal,paravirt (libvirt's bit per mode).
std::optional<unsigned> mode_flags(Vsh& vsh, const Args& args) {
    static constexpr std::pair<std::string_view, unsigned> kModes[] = {
        {"acpi", 1}, {"agent", 2}, {"initctl", 4}, {"signal", 8}, {"paravirt", 16}};
    unsigned flags = 0;
    std::string modes = args.str("mode");
    size_t pos = 0;
    while (!modes.empty() && pos <= modes.size()) {
        size_t comma = modes.find(',', pos);
        std::string_view m = std::string_view(modes).substr(pos, comma - pos);
        bool known = false;
        for (auto [name, bit] : kModes)
            if (m == name) {
                flags |= bit;
                known = true;
            }
        if (!known) {
            vsh.error("Unknown mode {} value, expecting 'acpi', 'agent', 'initctl', 'signal' or "
                      "'paravirt'",
                      m);
            return std::nullopt;
        }
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return flags;
}

bool cmd_shutdown(Vsh& vsh, const Args& args) {
    std::optional<unsigned> flags = mode_flags(vsh, args);
    if (!flags) return false;
    auto d = vsh.domain(args);
    if (!d) return false;
    if (Status s = d->shutdown(*flags); !s)
        return vsh.fail(s.error(), "Failed to shutdown domain '{}'", d->name());
    vsh.extra("Domain '{}' is being shutdown\n", d->name());
    return true;
}

bool cmd_reboot(Vsh& vsh, const Args& args) {
    std::optional<unsigned> flags = mode_flags(vsh, args);
    if (!flags) return false;
    auto d = vsh.domain(args);
    if (!d) return false;
    if (Status s = d->reboot(*flags); !s)
        return vsh.fail(s.error(), "Failed to reboot domain '{}'", d->name());
    vsh.extra("Domain '{}' is being rebooted\n", d->name());
    return true;
}

bool cmd_destroy(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    if (Status s = d->destroy(args.has("graceful") ? 1 : 0); !s)
        return vsh.fail(s.error(), "Failed to destroy domain '{}'", d->name());
    vsh.extra("Domain '{}' destroyed\n", d->name());
    return true;
}

bool cmd_reset(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    if (Status s = d->reset(); !s)
        return vsh.fail(s.error(), "Failed to reset domain '{}'", d->name());
    vsh.extra("Domain '{}' was reset\n", d->name());
    return true;
}

bool cmd_suspend(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    if (Status s = d->suspend(); !s)
        return vsh.fail(s.error(), "Failed to suspend domain '{}'", d->name());
    vsh.extra("Domain '{}' suspended\n", d->name());
    return true;
}

bool cmd_resume(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    if (Status s = d->resume(); !s)
        return vsh.fail(s.error(), "Failed to resume domain '{}'", d->name());
    vsh.extra("Domain '{}' resumed\n", d->name());
    return true;
}

bool cmd_dumpxml(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    unsigned flags = (args.has("inactive") ? kXmlInactive : 0) |
                     (args.has("security-info") ? kXmlSecure : 0) |
                     (args.has("update-cpu") ? kXmlUpdateCpu : 0) |
                     (args.has("migratable") ? kXmlMigratable : 0);
    Result<std::string> xml = d->xml_desc(flags);
    if (!xml) return vsh.fail(xml.error());
    fmt::print("{}", *xml);
    return true;
}

// Runs the user's editor on `path` ($VISUAL, then $EDITOR, then vi), as virsh does.
bool run_editor(Vsh& vsh, const std::string& path) {
    const char* editor = std::getenv("VISUAL");
    if (!editor || !*editor) editor = std::getenv("EDITOR");
    if (!editor || !*editor) editor = "vi";
    // The editor string may carry arguments ("emacs -nw"), so it goes through the shell; the
    // file name is quoted.
    std::string command = fmt::format("{} '{}'", editor, path);
    int rc = std::system(command.c_str());
    if (rc != 0) {
        vsh.error("{}: command exited with status {}", command, rc);
        return false;
    }
    return true;
}

bool cmd_edit(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    Result<std::string> xml = d->xml_desc(kXmlSecure | kXmlInactive);
    if (!xml) return vsh.fail(xml.error());
    char path[] = "/tmp/vshXXXXXX.xml";
    int fd = mkstemps(path, 4);
    if (fd < 0) {
        vsh.error("failed to create temporary file: {}", std::strerror(errno));
        return false;
    }
    bool written = write(fd, xml->data(), xml->size()) == static_cast<ssize_t>(xml->size());
    ::close(fd);
    struct Cleanup {
        const char* p;
        ~Cleanup() { unlink(p); }
    } cleanup{path};
    if (!written) {
        vsh.error("failed to write temporary file '{}'", path);
        return false;
    }
    if (!run_editor(vsh, path)) return false;
    Result<std::string> edited = read_file_for(path);
    if (!edited) return vsh.fail(edited.error());
    if (*edited == *xml) {
        vsh.extra("Domain '{}' XML configuration not changed.\n", d->name());
        return true;
    }
    unsigned flags = args.has("skip-validate") ? 0 : kDefineValidate;
    Result<client::Domain> nd = vsh.conn()->define_domain(*edited, flags);
    if (!nd && flags != 0 && nd.error().code() == ErrorCode::NoSupport)
        nd = vsh.conn()->define_domain(*edited, 0);
    if (!nd) return vsh.fail(nd.error(), "Failed. Your changes were not saved");
    vsh.extra("Domain '{}' XML configuration edited.\n", nd->name());
    return true;
}

bool cmd_autostart(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    bool on = !args.has("disable");
    if (Status s = d->set_autostart(on); !s)
        return on ? vsh.fail(s.error(), "Failed to mark domain '{}' as autostarted", d->name())
                  : vsh.fail(s.error(), "Failed to unmark domain '{}' as autostarted", d->name());
    vsh.extra("Domain '{}' {} as autostarted\n", d->name(), on ? "marked" : "unmarked");
    return true;
}

bool cmd_domid(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args, "domain", false);
    if (!d) return false;
    fmt::print("{}\n", d->id() == -1 ? "-" : std::to_string(d->id()));
    return true;
}

bool cmd_domname(Vsh& vsh, const Args& args) {
    std::string text = args.str("domain");
    int id = -1;
    Result<client::Domain> d = make_error(ErrorCode::NoDomain, ErrorDomain::Dom, "none");
    if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        ec == std::errc() && p == text.data() + text.size() && id >= 0)
        d = vsh.conn()->domain_by_id(id);
    if (!d)
        if (Result<Uuid> u = Uuid::parse(text); u && text.size() == 36)
            d = vsh.conn()->domain_by_uuid(*u);
    if (!d) {
        vsh.error("failed to get domain '{}'", text);
        return false;
    }
    fmt::print("{}\n", d->name());
    return true;
}

bool cmd_domuuid(Vsh& vsh, const Args& args) {
    auto d = vsh.domain(args);
    if (!d) return false;
    fmt::print("{}\n", d->uuid().format());
    return true;
}

OptDef file_opt(std::string_view help) {
    return {"file", OptType::String, kRequired | kPositional, help, Complete::File};
}

} // namespace

std::vector<CommandDef> domain_commands() {
    const OptDef dom = kDomainOpt;
    const OptDef dom_name_uuid{"domain", OptType::String, kRequired | kPositional,
                               "domain name or uuid", Complete::Domain};
    return {
        {"define",
         "domain",
         "define (but don't start) a domain from an XML file",
         "Define a domain.",
         {file_opt("file containing an XML domain description"),
          {"validate", OptType::Bool, 0, "validate the XML against the schema"}},
         cmd_define},
        {"undefine",
         "domain",
         "undefine a domain",
         "Undefine an inactive domain, or convert "
         "persistent to transient.",
         {dom_name_uuid},
         cmd_undefine},
        {"create",
         "domain",
         "create a domain from an XML file",
         "Create a domain.",
         {file_opt("file containing an XML domain description"),
          {"paused", OptType::Bool, 0, "leave the guest paused after creation"},
          {"autodestroy", OptType::Bool, 0,
           "automatically destroy the guest when virsh disconnects"},
          {"validate", OptType::Bool, 0, "validate the XML against the schema"}},
         cmd_create},
        {"start",
         "domain",
         "start a (previously defined) inactive domain",
         "Start a domain, either from the last managedsave\n    state, or via a fresh boot if "
         "no managedsave state\n    is present.",
         {{"domain", OptType::String, kRequired | kPositional, "name of the inactive domain",
           Complete::Domain},
          {"paused", OptType::Bool, 0, "leave the guest paused after creation"},
          {"autodestroy", OptType::Bool, 0,
           "automatically destroy the guest when virsh disconnects"},
          {"bypass-cache", OptType::Bool, 0, "avoid file system cache when loading"},
          {"force-boot", OptType::Bool, 0, "force fresh boot by discarding any managed save"}},
         cmd_start},
        {"shutdown",
         "domain",
         "gracefully shutdown a domain",
         "Run shutdown in the target domain.",
         {dom, {"mode", OptType::String, 0, "shutdown mode: acpi|agent|initctl|signal|paravirt"}},
         cmd_shutdown},
        {"destroy",
         "domain",
         "destroy (stop) a domain",
         "Forcefully stop a given domain, but leave its resources intact.",
         {dom, {"graceful", OptType::Bool, 0, "terminate gracefully"}},
         cmd_destroy},
        {"reboot",
         "domain",
         "reboot a domain",
         "Run a reboot command in the target domain.",
         {dom, {"mode", OptType::String, 0, "shutdown mode: acpi|agent|initctl|signal|paravirt"}},
         cmd_reboot},
        {"reset",
         "domain",
         "reset a domain",
         "Reset the target domain as if by power button",
         {dom},
         cmd_reset},
        {"suspend", "domain", "suspend a domain", "Suspend a running domain.", {dom}, cmd_suspend},
        {"resume",
         "domain",
         "resume a domain",
         "Resume a previously suspended domain.",
         {dom},
         cmd_resume},
        {"dumpxml",
         "domain",
         "domain information in XML",
         "Output the domain information as an XML dump to stdout.",
         {dom,
          {"inactive", OptType::Bool, 0, "show inactive defined XML"},
          {"security-info", OptType::Bool, 0, "include security sensitive information in XML dump"},
          {"update-cpu", OptType::Bool, 0, "update guest CPU according to host CPU"},
          {"migratable", OptType::Bool, 0, "provide XML suitable for migrations"}},
         cmd_dumpxml},
        {"edit",
         "domain",
         "edit XML configuration for a domain",
         "Edit the XML configuration for a domain.",
         {dom,
          {"skip-validate", OptType::Bool, 0, "skip validation of the XML against the schema"}},
         cmd_edit},
        {"autostart",
         "domain",
         "autostart a domain",
         "Configure a domain to be automatically started at boot.",
         {dom, {"disable", OptType::Bool, 0, "disable autostarting"}},
         cmd_autostart},
        {"domid",
         "domain",
         "convert a domain name or UUID to domain id",
         "",
         {dom_name_uuid},
         cmd_domid},
        {"domname",
         "domain",
         "convert a domain id or UUID to domain name",
         "",
         {{"domain", OptType::String, kRequired | kPositional, "domain id or uuid"}},
         cmd_domname},
        {"domuuid",
         "domain",
         "convert a domain name or id to domain UUID",
         "",
         {{"domain", OptType::String, kRequired | kPositional, "domain id or name",
           Complete::Domain}},
         cmd_domuuid},
    };
}

} // namespace virtd::vsh
