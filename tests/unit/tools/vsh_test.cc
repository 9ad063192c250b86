// vsh's pieces that need no daemon: the option parser (virsh's grammar and error wording), the
// table layout, and the shell's line splitting.
#include <gtest/gtest.h>

#include "tools/vsh/shell.h"
#include "tools/vsh/table.h"
#include "tools/vsh/vsh.h"

namespace virtd::vsh {
namespace {

const CommandDef& cmd(std::string_view name) {
    const CommandDef* c = find_command(name);
    EXPECT_NE(c, nullptr) << name;
    return *c;
}

TEST(ParseArgsTest, PositionalsFillRequiredOptionsInOrder) {
    auto a = parse_args(cmd("shutdown"), {"web1", "--mode=acpi"});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->str("domain"), "web1");
    EXPECT_EQ(a->str("mode"), "acpi");
    auto b = parse_args(cmd("shutdown"), {"--mode", "agent", "--domain", "web2"});
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->str("domain"), "web2");
    auto c = parse_args(cmd("dumpxml"), {"--inactive", "--", "--odd-name"});
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->has("inactive"));
    EXPECT_EQ(c->str("domain"), "--odd-name");
}

TEST(ParseArgsTest, ErrorsAreWordedAsVirsh) {
    auto msg = [](std::string_view name, std::vector<std::string> words) {
        auto r = parse_args(cmd(name), words);
        return r ? std::string("ok") : r.error().message();
    };
    EXPECT_EQ(msg("list", {"--bogus"}), "command 'list' doesn't support option --bogus");
    EXPECT_EQ(msg("dominfo", {}), "command 'dominfo' requires <domain> option");
    EXPECT_EQ(msg("dominfo", {"a", "b"}), "unexpected data 'b'");
    EXPECT_EQ(msg("shutdown", {"a", "--mode"}), "expected syntax: --mode <string>");
    EXPECT_EQ(msg("list", {"--all", "--all"}), "option --all already seen");
}

TEST(CommandTableTest, EveryCommandIsDescribedAndFindable) {
    for (const CommandDef& c : commands()) {
        EXPECT_FALSE(c.summary.empty()) << c.name;
        EXPECT_NE(c.run, nullptr) << c.name;
        bool group_known = false;
        for (const GroupDef& g : groups())
            group_known = group_known || g.keyword == c.group;
        EXPECT_TRUE(group_known) << c.name;
        EXPECT_EQ(find_command(c.name), &c);
    }
    EXPECT_EQ(synopsis(cmd("autostart")), "autostart <domain> [--disable]");
    EXPECT_EQ(synopsis(cmd("event")).substr(0, 45),
              "event [--domain <string>] [--event <string>] ");
}

TEST(TableTest, MatchesVirshListLayout) {
    Table t({"Id", "Name", "State"});
    t.add({"-", "tiny", "shut off"});
    EXPECT_EQ(t.render(true), " Id   Name   State\n"
                              "-----------------------\n"
                              " -    tiny   shut off\n");
    EXPECT_EQ(t.render(false), " -   tiny   shut off\n");
    Table empty({"Id", "Name", "State"});
    EXPECT_EQ(empty.render(true), " Id   Name   State\n--------------------\n");
}

TEST(SplitLineTest, QuotesEscapesSemicolonsAndComments) {
    auto r = split_line(R"(define 'a b.xml'; list --all  # trailing comment)");
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0], (std::vector<std::string>{"define", "a b.xml"}));
    EXPECT_EQ((*r)[1], (std::vector<std::string>{"list", "--all"}));
    auto e = split_line(R"(echo "say \"hi\"" a\ b)");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ((*e)[0], (std::vector<std::string>{"echo", "say \"hi\"", "a b"}));
    EXPECT_FALSE(split_line("start 'unterminated").ok());
    auto empty = split_line("  ;; ");
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
}

TEST(StateNamesTest, VirshWords) {
    EXPECT_EQ(state_name(client::DomainState::Shutoff), "shut off");
    EXPECT_EQ(state_name(client::DomainState::Blocked), "idle");
    EXPECT_EQ(state_reason_name(client::DomainState::Running, 1), "booted");
    EXPECT_EQ(state_reason_name(client::DomainState::Paused, 1), "user");
    EXPECT_EQ(state_reason_name(client::DomainState::Shutoff, 2), "destroyed");
    EXPECT_EQ(state_reason_name(client::DomainState::Running, 99), "unknown");
}

} // namespace
} // namespace virtd::vsh
