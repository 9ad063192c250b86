// JobRecord: the run dir's note of an operation under way, as written and as read back, and the
// errors for records a crash or a person could leave.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/kvm/job_record.h"
#include "tests/unit/drivers/temp_dir.h"

namespace virtd::kvm {
namespace {

using ::testing::HasSubstr;

TEST(JobRecordTest, StartAndSaveRoundTripThroughTheRunDir) {
    TempDir dir;
    Result<std::optional<JobRecord>> none = read_job_record(dir.path());
    ASSERT_TRUE(none.ok()) << none.error().message();
    EXPECT_FALSE(none->has_value());

    JobRecord start;
    start.paused = true;
    start.consume_image = "/var/lib/virtd/kvm/save/web1.save";
    ASSERT_TRUE(write_job_record(dir.path(), start).ok());
    Result<std::optional<JobRecord>> back = read_job_record(dir.path());
    ASSERT_TRUE(back.ok()) << back.error().message();
    ASSERT_TRUE(back->has_value());
    EXPECT_EQ((*back)->kind, JobRecord::Kind::Start);
    EXPECT_TRUE((*back)->paused);
    EXPECT_EQ((*back)->consume_image, start.consume_image);

    JobRecord save;
    save.kind = JobRecord::Kind::Save;
    save.path = "/srv/web1.img";
    save.token = "0123abcd";
    ASSERT_TRUE(write_job_record(dir.path(), save).ok());
    back = read_job_record(dir.path());
    ASSERT_TRUE(back.ok() && back->has_value());
    EXPECT_EQ((*back)->kind, JobRecord::Kind::Save);
    EXPECT_EQ((*back)->path, save.path);
    EXPECT_EQ((*back)->token, save.token);

    remove_job_record(dir.path());
    back = read_job_record(dir.path());
    ASSERT_TRUE(back.ok());
    EXPECT_FALSE(back->has_value());
}

TEST(JobRecordTest, BadRecordsAreRefusedWithWhatIsWrong) {
    auto error_of = [](std::string_view text) {
        Result<JobRecord> r = JobRecord::from_json(text);
        return r ? std::string("accepted") : r.error().message();
    };
    EXPECT_THAT(error_of("[1]"), HasSubstr("not a JSON object"));
    EXPECT_THAT(error_of(R"({"job":"migrate"})"), HasSubstr("unknown job 'migrate'"));
    EXPECT_THAT(error_of(R"({"job":"start","paused":"yes","consume_image":""})"),
                HasSubstr("job record"));
    EXPECT_THAT(error_of(R"({"job":"start","paused":false,"consume_image":"rel.save"})"),
                HasSubstr("'rel.save' is not an absolute path"));
    EXPECT_THAT(error_of(R"({"job":"save","path":"x","token":"t"})"),
                HasSubstr("save file 'x' is not an absolute path"));
    EXPECT_THAT(error_of(R"({"job":"save","path":"/x","token":""})"), HasSubstr("empty token"));
    EXPECT_EQ(error_of(R"({"job":"start","paused":false,"consume_image":""})"), "accepted");

    TempDir dir;
    std::ofstream(dir.path() + "/job.json") << "{\"job\":";
    Result<std::optional<JobRecord>> r = read_job_record(dir.path());
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message(), HasSubstr(dir.path() + "/job.json"));
}

} // namespace
} // namespace virtd::kvm
