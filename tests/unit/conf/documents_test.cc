#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/documents.h"

namespace virtd::conf {
namespace {

TEST(Documents, EveryTypeIsFoundByNameAndRoot) {
    for (const char* name : {"domain", "pool", "volume", "network"}) {
        const DocumentType* t = document_type_by_name(name);
        ASSERT_NE(t, nullptr) << name;
        EXPECT_EQ(document_type_by_root(t->root), t);
    }
    EXPECT_EQ(document_type_by_name("secret"), nullptr);
    EXPECT_EQ(document_type_by_root("capabilities"), nullptr);
}

TEST(Documents, RootNameOrSyntaxError) {
    EXPECT_EQ(*root_element_name("<!-- c -->\n<pool type='dir'/>"), "pool");
    Result<std::string> bad = root_element_name("<pool>\n<name>x</pool>");
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.error().message(), ::testing::StartsWith("line 2: document: XML syntax error"));
    EXPECT_FALSE(root_element_name("").ok());
}

TEST(Documents, NormalizeParsesThenFormats) {
    const DocumentType* volume = document_type_by_name("volume");
    Result<std::string> out =
        volume->normalize("<volume><name>v</name><capacity unit='KiB'>1</capacity></volume>");
    ASSERT_TRUE(out.ok()) << out.error().message();
    EXPECT_THAT(*out, ::testing::HasSubstr("<capacity unit='bytes'>1024</capacity>"));
    EXPECT_FALSE(volume->normalize("<volume/>").ok());
}

} // namespace
} // namespace virtd::conf
