// JobRecord: JSON in RUN/NAME/job.json.
#include "drivers/kvm/job_record.h"

#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/file.h"

namespace virtd::kvm {
namespace {

constexpr ErrorDomain kDom = ErrorDomain::Qemu;
constexpr const char* kFile = "job.json";
constexpr size_t kMaxSize = 64 << 10;

} // namespace

std::string JobRecord::to_json() const {
    nlohmann::json j;
    if (kind == Kind::Start) {
        j = {{"job", "start"}, {"paused", paused}, {"consume_image", consume_image}};
    } else {
        j = {{"job", "save"}, {"path", path}, {"token", token}};
    }
    return j.dump() + "\n";
}

Result<JobRecord> JobRecord::from_json(std::string_view text) {
    auto bad = [](std::string_view why) {
        return make_error(ErrorCode::InternalError, kDom, "job record: {}", why);
    };
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return bad("not a JSON object");
    JobRecord r;
    try {
        const std::string kind = j.at("job").get<std::string>();
        if (kind == "start") {
            r.kind = Kind::Start;
            r.paused = j.at("paused").get<bool>();
            r.consume_image = j.at("consume_image").get<std::string>();
            if (!r.consume_image.empty() && r.consume_image.front() != '/')
                return bad(fmt::format("image '{}' is not an absolute path", r.consume_image));
        } else if (kind == "save") {
            r.kind = Kind::Save;
            r.path = j.at("path").get<std::string>();
            r.token = j.at("token").get<std::string>();
            if (r.path.empty() || r.path.front() != '/')
                return bad(fmt::format("save file '{}' is not an absolute path", r.path));
            if (r.token.empty()) return bad("empty token");
        } else {
            return bad(fmt::format("unknown job '{}'", kind));
        }
    } catch (const nlohmann::json::exception& e) {
        return bad(e.what());
    }
    return r;
}

Result<std::optional<JobRecord>> read_job_record(const std::string& run_dir) {
    const std::string path = path_join(run_dir, kFile);
    if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::optional<JobRecord>{};
    Result<std::string> text = read_file(path, kMaxSize);
    if (!text) return text.error();
    Result<JobRecord> r = JobRecord::from_json(*text);
    if (!r) return r.error().with_context(path);
    return std::optional<JobRecord>(std::move(*r));
}

Status write_job_record(const std::string& run_dir, const JobRecord& job) {
    return write_run_file(path_join(run_dir, kFile), job.to_json(), 0600);
}

void remove_job_record(const std::string& run_dir) {
    ::unlink(path_join(run_dir, kFile).c_str());
}

} // namespace virtd::kvm
