#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/xml_reader.h"

namespace virtd::conf {
namespace {

using ::testing::ElementsAre;

enum class Color { Red, Green, Last = Green };
constexpr auto kColors = make_enum_table<Color>("red", "green");

TEST(XmlReader, SyntaxErrorNamesTheLine) {
    XmlReader r("<domain>\n  <name>x</name>\n  <vcpu>\n</domain>\n");
    EXPECT_FALSE(r.root("domain"));
    std::vector<std::string> errors = r.finish();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_THAT(errors[0], ::testing::StartsWith("line 4: document: XML syntax error"));
}

TEST(XmlReader, WrongRootIsReported) {
    XmlReader r("<network/>");
    EXPECT_FALSE(r.root("domain"));
    EXPECT_THAT(r.finish(),
                ElementsAre("line 1: network: unexpected root element (expected <domain>)"));
}

TEST(XmlReader, UnreadElementsAttributesAndTextAreUnknown) {
    XmlReader r("<domain type='kvm' color='red'>\n"
                "  <name>web</name>\n"
                "  <nmae>typo</nmae>\n"
                "  <os><type arch='riscv64'>hvm</type>stray</os>\n"
                "</domain>\n");
    XmlElement root = r.root("domain");
    ASSERT_TRUE(root);
    EXPECT_EQ(root.attr("type"), "kvm");
    EXPECT_EQ(root.child("name").text(), "web");
    XmlElement os = root.child("os");
    os.child("type").text(); // arch not read
    EXPECT_THAT(r.finish(), ElementsAre("line 1: domain: unknown attribute 'color'",
                                        "line 3: domain: unknown element 'nmae'",
                                        "line 4: os: unexpected text 'stray'",
                                        "line 4: type: unknown attribute 'arch'"));
}

TEST(XmlReader, DuplicateChildIsAnError) {
    XmlReader r("<a>\n<b/>\n<b/>\n</a>");
    XmlElement root = r.root("a");
    EXPECT_TRUE(root.child("b"));
    EXPECT_THAT(r.finish(), ElementsAre("line 3: b: given more than once"));
}

TEST(XmlReader, TypedAttributesReportProblems) {
    XmlReader r("<a c='blue' n='7' m='x' y='maybe' i='-3' s='1'>\n"
                "<v unit='MiBs'>512</v></a>");
    XmlElement a = r.root("a");
    EXPECT_EQ(a.attr_enum("c", kColors), std::nullopt);
    EXPECT_EQ(a.attr_uint("n", 1, 5), std::nullopt);
    EXPECT_EQ(a.attr_uint("m", 1, 5), std::nullopt);
    EXPECT_EQ(a.attr_yes_no("y"), std::nullopt);
    EXPECT_EQ(a.attr_int("i", -5, 5), -3);
    EXPECT_EQ(a.attr_uint("s", 1, 5), 1u);
    EXPECT_EQ(a.attr_uint("absent", 1, 5), std::nullopt);
    EXPECT_EQ(a.child("v").text_size(1024), std::nullopt);
    EXPECT_THAT(
        r.finish(),
        ElementsAre("line 1: a: attribute 'c': unknown value 'blue' (expected one of: red, green)",
                    "line 1: a: attribute 'n': 7 is out of range 1..5",
                    "line 1: a: attribute 'm': expected an unsigned integer, got 'x'",
                    "line 1: a: attribute 'y': unknown value 'maybe' (expected one of: no, yes)",
                    "line 2: v: unknown unit 'MiBs'"));
}

TEST(XmlReader, MissingRequiredPiecesAreNamed) {
    XmlReader r("<a>\n  <b/>\n</a>");
    XmlElement a = r.root("a");
    EXPECT_FALSE(a.required_child("name"));
    XmlElement b = a.child("b");
    EXPECT_EQ(b.required_attr("type"), std::nullopt);
    EXPECT_EQ(b.required_text(), std::nullopt);
    EXPECT_EQ(b.required_enum("c", kColors), std::nullopt);
    EXPECT_THAT(r.finish(),
                ElementsAre("line 1: a: missing element 'name'",
                            "line 2: b: missing attribute 'type'", "line 2: b: must not be empty",
                            "line 2: b: missing attribute 'c'"));
}

TEST(XmlReader, InnerXmlIsKeptVerbatimAndCountsAsRead) {
    XmlReader r("<a><metadata><app:x xmlns:app='urn:x' k='v'>t<y/></app:x></metadata></a>");
    XmlElement a = r.root("a");
    EXPECT_EQ(a.child("metadata").inner_xml(), "<app:x xmlns:app='urn:x' k='v'>t<y/></app:x>");
    EXPECT_TRUE(r.finish().empty());
}

TEST(XmlReader, DoctypeAndOversizeAreRefused) {
    XmlReader d("<!DOCTYPE a [<!ENTITY e 'x'>]>\n<a>&e;</a>");
    EXPECT_FALSE(d.root("a"));
    std::vector<std::string> errors = d.finish();
    ASSERT_FALSE(errors.empty());

    std::string big = "<a>" + std::string(XmlReader::kMaxDocumentSize, ' ') + "</a>";
    XmlReader b(big);
    EXPECT_FALSE(b.root("a"));
    EXPECT_THAT(b.finish()[0], ::testing::HasSubstr("larger than the limit"));
}

TEST(XmlReader, DeepNestingIsBounded) {
    std::string doc;
    for (int i = 0; i < 200; i++)
        doc += "<a>";
    for (int i = 0; i < 200; i++)
        doc += "</a>";
    XmlReader r(doc);
    XmlElement a = r.root("a");
    a.take(true);
    std::vector<std::string> errors = r.finish();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_THAT(errors[0], ::testing::HasSubstr("nested deeper than 64 levels"));
}

} // namespace
} // namespace virtd::conf
