#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/schema.h"

namespace virtd::conf {
namespace {

using ::testing::HasSubstr;

TEST(Schema, AcceptsValidAndNamesLineOfInvalid) {
    EXPECT_TRUE(validate_with_schema("storagevol.rng",
                                     "<volume><name>a</name><capacity>1</capacity></volume>")
                    .empty());
    std::vector<std::string> problems = validate_with_schema(
        "storagevol.rng",
        "<volume>\n<name>a</name>\n<capacity unit='MiBs'>1</capacity>\n</volume>");
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(problems[0], HasSubstr("line 3: capacity: schema:"));
}

TEST(Schema, MissingSchemaFileIsReportedByName) {
    std::vector<std::string> problems = validate_with_schema("nosuch.rng", "<a/>");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_THAT(problems[0], HasSubstr("schema '"));
    EXPECT_THAT(problems[0], HasSubstr("nosuch.rng' could not be loaded"));
}

TEST(Schema, NeverFetchesExternalEntities) {
    // With NONET and no entity loading, an external entity is not read from disk.
    std::vector<std::string> problems = validate_with_schema(
        "storagevol.rng", "<!DOCTYPE volume [<!ENTITY x SYSTEM '/etc/passwd'>]>"
                          "<volume><name>&x;</name><capacity>1</capacity></volume>");
    for (const std::string& p : problems)
        EXPECT_THAT(p, ::testing::Not(HasSubstr("root:")));
}

TEST(Schema, DirectoryComesFromEnvironmentFirst) {
    const char* old = std::getenv("VIRTD_SCHEMA_DIR");
    std::string saved = old ? old : "";
    setenv("VIRTD_SCHEMA_DIR", "/nonexistent/schemas", 1);
    EXPECT_EQ(schema_dir(), "/nonexistent/schemas");
    if (old)
        setenv("VIRTD_SCHEMA_DIR", saved.c_str(), 1);
    else
        unsetenv("VIRTD_SCHEMA_DIR");
}

} // namespace
} // namespace virtd::conf
