// JobRecord: what a lifecycle operation that spans several steps (a start, a save) is doing,
// kept in the guest's run dir while it runs. A daemon killed in the middle leaves it behind, and
// the next daemon reads it to finish or undo the operation instead of guessing
// (KvmDomainDriver::reattach).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace virtd::kvm {

struct JobRecord {
    enum class Kind { Start, Save };
    Kind kind = Kind::Start;
    // Start: whether the guest was to stay paused, and the managed save image it starts from
    // (removed once the guest runs from it; empty when it boots or restores a `virsh save` file).
    bool paused = false;
    std::string consume_image;
    // Save: the file being written and the token the daemon put in its note, so that a file
    // from an earlier save is not mistaken for this one. (A save that fails leaves the guest as
    // it was: the VMM itself resumes it.)
    std::string path;
    std::string token;

    std::string to_json() const;
    // Checks the shape; every path must be absolute.
    static Result<JobRecord> from_json(std::string_view text);
};

// The record in `run_dir`, if there is one (an unreadable one is an error naming the file).
Result<std::optional<JobRecord>> read_job_record(const std::string& run_dir);
Status write_job_record(const std::string& run_dir, const JobRecord& job);
void remove_job_record(const std::string& run_dir);

} // namespace virtd::kvm
