#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/domain_chardev.h"
#include "conf/xml_writer.h"

namespace virtd::conf {
namespace {

using ::testing::ElementsAre;

ChardevDef read_ok(const std::string& xml, const char* root) {
    XmlReader r(xml);
    ChardevDef d = ChardevDef::read(r.root(root));
    EXPECT_THAT(r.finish(), ElementsAre());
    return d;
}

std::string write(const ChardevDef& d) {
    pugi::xml_document doc;
    d.write(doc);
    return format_xml(doc);
}

TEST(Chardev, SerialPtyWithModel) {
    ChardevDef d = read_ok("<serial type='pty'><target type='system-serial' port='0'>"
                           "<model name='16550a'/></target></serial>",
                           "serial");
    EXPECT_EQ(d.kind, ChardevKind::Serial);
    EXPECT_EQ(d.type, ChardevType::Pty);
    EXPECT_EQ(d.target_type, ChardevTarget::SystemSerial);
    EXPECT_EQ(d.target_port, 0u);
    EXPECT_EQ(d.target_model, "16550a");
    EXPECT_EQ(write(d), "<serial type='pty'>\n"
                        "  <target type='system-serial' port='0'>\n"
                        "    <model name='16550a' />\n"
                        "  </target>\n"
                        "</serial>\n");
}

TEST(Chardev, ChannelOnUnixSocketRoundTrips) {
    std::string xml = "<channel type='unix'><source mode='bind' path='/run/ga.sock'/>"
                      "<target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>"
                      "</channel>";
    ChardevDef d = read_ok(xml, "channel");
    EXPECT_EQ(d.kind, ChardevKind::Channel);
    EXPECT_EQ(d.source_mode, UnixMode::Bind);
    EXPECT_EQ(d.source_path, "/run/ga.sock");
    EXPECT_EQ(d.target_name, "org.qemu.guest_agent.0");
    EXPECT_EQ(d.target_state, ChannelState::Connected);
    EXPECT_EQ(read_ok(write(d), "channel"), d);
}

TEST(Chardev, ConsoleFileWithLog) {
    ChardevDef d = read_ok("<console type='file'><source path='/var/log/c.log'/>"
                           "<log file='/var/log/c.raw' append='off'/><target type='virtio'/>"
                           "</console>",
                           "console");
    EXPECT_EQ(d.type, ChardevType::File);
    EXPECT_EQ(d.log_file, "/var/log/c.raw");
    EXPECT_EQ(d.log_append, false);
    EXPECT_EQ(d.target_type, ChardevTarget::Virtio);
    EXPECT_EQ(read_ok(write(d), "console"), d);
}

TEST(Chardev, RulesNameTheProblem) {
    XmlReader r("<channel type='file'>\n"
                "<source path='/x'/>\n"
                "<target type='virtio' port='40'/>\n"
                "</channel>");
    ChardevDef::read(r.root("channel"));
    EXPECT_THAT(r.finish(),
                ElementsAre("line 1: channel: a channel needs type 'unix' or 'pty'",
                            "line 3: target: attribute 'port': 40 is out of range 0..31",
                            "line 3: target: a channel needs a target name (the port name the "
                            "guest sees)"));
    XmlReader s("<serial type='pty'><target name='x'/></serial>");
    ChardevDef::read(s.root("serial"));
    EXPECT_THAT(s.finish(),
                ElementsAre("line 1: target: only a channel target has a name and a state"));
}

} // namespace
} // namespace virtd::conf
