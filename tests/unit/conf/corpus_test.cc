// Runs every conf/ type over its corpus in tests/data/xml (see corpus_helpers.h).
#include <gtest/gtest.h>

#include "conf/domain.h"
#include "conf/domain_snapshot.h"
#include "conf/network.h"
#include "conf/storage_pool.h"
#include "conf/storage_vol.h"
#include "tests/unit/conf/corpus_helpers.h"

namespace virtd::conf {
namespace {

using testing::check_invalid_corpus;
using testing::check_valid_corpus;

// Totals across types, checked last: the corpus is meant to cover every element.
size_t g_valid = 0;
size_t g_invalid = 0;

TEST(Corpus, Domain) {
    size_t v = check_valid_corpus<DomainDef>("domain");
    size_t i = check_invalid_corpus<DomainDef>("domain");
    EXPECT_GE(v, 5u);
    EXPECT_GE(i, 5u);
    g_valid += v;
    g_invalid += i;
}

TEST(Corpus, Pool) {
    size_t v = check_valid_corpus<StoragePoolDef>("pool");
    size_t i = check_invalid_corpus<StoragePoolDef>("pool");
    EXPECT_GE(v, 5u);
    EXPECT_GE(i, 5u);
    g_valid += v;
    g_invalid += i;
}

TEST(Corpus, Network) {
    size_t v = check_valid_corpus<NetworkDef>("network");
    size_t i = check_invalid_corpus<NetworkDef>("network");
    EXPECT_GE(v, 5u);
    EXPECT_GE(i, 5u);
    g_valid += v;
    g_invalid += i;
}

TEST(Corpus, Volume) {
    size_t v = check_valid_corpus<StorageVolDef>("volume");
    size_t i = check_invalid_corpus<StorageVolDef>("volume");
    EXPECT_GE(v, 5u);
    EXPECT_GE(i, 5u);
    g_valid += v;
    g_invalid += i;
}

TEST(Corpus, Snapshot) {
    size_t v = check_valid_corpus<DomainSnapshotDef>("snapshot");
    size_t i = check_invalid_corpus<DomainSnapshotDef>("snapshot");
    EXPECT_GE(v, 5u);
    EXPECT_GE(i, 5u);
    g_valid += v;
    g_invalid += i;
}

TEST(Corpus, ZzTotals) {
    EXPECT_GE(g_valid, 40u);
    EXPECT_GE(g_invalid, 40u);
}

} // namespace
} // namespace virtd::conf
