#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/file.h"
#include "drivers/mock/mock_storage_driver.h"
#include "tests/unit/drivers/temp_dir.h"

namespace virtd {
namespace {

constexpr const char* kPool =
    "<pool type='dir'><name>images</name><target><path>/images</path></target></pool>";

std::string vol_xml(const std::string& name, const std::string& capacity) {
    return "<volume><name>" + name + "</name><capacity>" + capacity + "</capacity></volume>";
}

std::string download(StorageDriver& s, const VolRef& v, uint64_t offset, uint64_t length) {
    Result<std::unique_ptr<VolumeReader>> r = s.vol_download(v, offset, length, 0);
    EXPECT_TRUE(r.ok()) << r.error().message();
    std::string all;
    for (;;) {
        Result<std::string> chunk = (*r)->read(4096);
        EXPECT_TRUE(chunk.ok());
        if (chunk->empty()) return all;
        all += *chunk;
    }
}

Status upload(StorageDriver& s, const VolRef& v, uint64_t offset, const std::string& data) {
    Result<std::unique_ptr<VolumeWriter>> w = s.vol_upload(v, offset, data.size(), 0);
    if (!w) return w.error();
    if (Status st = (*w)->write(data); !st) return st;
    return (*w)->finish();
}

TEST(MockStorageDriver, PoolsFollowLibvirtsStateMachine) {
    MockStorageDriver s;
    Result<PoolRef> p = s.pool_define_xml(kPool, 0);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_FALSE(p->uuid.is_null());
    EXPECT_FALSE(*s.pool_is_active(*p));
    EXPECT_EQ(s.pool_get_info(*p)->capacity, 0u); // an inactive pool reports nothing
    EXPECT_EQ(s.vol_list_all(*p).error().code(), ErrorCode::OperationInvalid);
    ASSERT_TRUE(s.pool_build(*p, 0).ok());
    ASSERT_TRUE(s.pool_start(*p, 0).ok());
    EXPECT_EQ(s.pool_start(*p, 0).error().code(), ErrorCode::OperationInvalid);
    EXPECT_EQ(s.pool_build(*p, 0).error().code(), ErrorCode::OperationInvalid);
    EXPECT_EQ(s.pool_get_info(*p)->state, PoolState::Running);
    EXPECT_EQ(s.pool_get_info(*p)->available, MockStorageDriver::kPoolCapacity);
    EXPECT_EQ(s.pool_undefine(*p).error().code(), ErrorCode::OperationInvalid); // still active
    EXPECT_THAT(*s.pool_get_xml(*p, 0), ::testing::HasSubstr("<capacity unit='bytes'>"));
    ASSERT_TRUE(s.pool_destroy(*p).ok());
    EXPECT_EQ(s.pool_destroy(*p).error().code(), ErrorCode::OperationInvalid);
    ASSERT_TRUE(s.pool_undefine(*p).ok());
    EXPECT_EQ(s.pool_lookup_by_name("images").error().code(), ErrorCode::NoStoragePool);

    Result<PoolRef> t = s.pool_create_xml(kPool, 0);
    ASSERT_TRUE(t.ok());
    EXPECT_FALSE(*s.pool_is_persistent(*t));
    EXPECT_EQ(s.pool_set_autostart(*t, true).error().code(), ErrorCode::OperationInvalid);
    ASSERT_TRUE(s.pool_destroy(*t).ok());
    EXPECT_TRUE(s.pool_list_all(0)->empty()); // a transient pool goes when it stops
}

TEST(MockStorageDriver, ListFiltersByStatePersistenceAndAutostart) {
    MockStorageDriver s;
    Result<PoolRef> a = s.pool_define_xml(kPool, 0);
    std::string other(kPool);
    other.replace(other.find("images"), 6, "backup");
    Result<PoolRef> b = s.pool_create_xml(other, 0);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(s.pool_set_autostart(*a, true).ok());
    EXPECT_EQ(s.pool_list_all(object_list::kActive)->front().name, "backup");
    EXPECT_EQ(s.pool_list_all(object_list::kInactive)->front().name, "images");
    EXPECT_EQ(s.pool_list_all(object_list::kAutostart)->front().name, "images");
    EXPECT_EQ(s.pool_list_all(object_list::kTransient)->front().name, "backup");
    EXPECT_EQ(s.pool_list_all(object_list::kActive | object_list::kInactive)->size(), 2u);
}

TEST(MockStorageDriver, VolumesHoldTheirBytes) {
    MockStorageDriver s;
    Result<PoolRef> p = s.pool_create_xml(kPool, 0);
    Result<VolRef> v = s.vol_create_xml(*p, vol_xml("disk", "1048576"), 0);
    ASSERT_TRUE(v.ok()) << v.error().message();
    EXPECT_EQ(v->key, "/images/disk");
    EXPECT_EQ(*s.vol_get_path(*v), "/images/disk");
    EXPECT_EQ(s.vol_lookup_by_path("/images/disk")->name, "disk");
    EXPECT_EQ(s.vol_lookup_by_key("/images/disk")->pool, "images");
    EXPECT_EQ(s.pool_lookup_by_volume(*v)->name, "images");
    EXPECT_EQ(s.vol_create_xml(*p, vol_xml("disk", "1"), 0).error().code(),
              ErrorCode::StorageVolExist);

    EXPECT_EQ(download(s, *v, 0, 16), std::string(16, '\0')); // a new volume reads as zeros
    ASSERT_TRUE(upload(s, *v, 100, "hello").ok());
    EXPECT_EQ(download(s, *v, 98, 9), std::string("\0\0hello\0\0", 9));
    EXPECT_EQ(download(s, *v, 0, 0).size(), 1048576u); // length 0: to the end

    // Past the end of the volume is refused, and a write that would go there too.
    EXPECT_EQ(s.vol_download(*v, 2 << 20, 1, 0).error().code(), ErrorCode::InvalidArg);
    Result<std::unique_ptr<VolumeWriter>> w = s.vol_upload(*v, 1048570, 0, 0);
    ASSERT_TRUE(w.ok());
    EXPECT_FALSE((*w)->write("0123456789").ok());

    // An upload that is never finished changes nothing.
    {
        Result<std::unique_ptr<VolumeWriter>> abandoned = s.vol_upload(*v, 100, 5, 0);
        ASSERT_TRUE((*abandoned)->write("XXXXX").ok());
    }
    EXPECT_EQ(download(s, *v, 100, 5), "hello");

    Result<VolRef> clone = s.vol_create_xml_from(*p, vol_xml("copy", "16"), *v, 0);
    ASSERT_TRUE(clone.ok());
    EXPECT_EQ(s.vol_get_info(*clone)->capacity, 1048576u); // at least the source's size
    EXPECT_EQ(download(s, *clone, 100, 5), "hello");

    ASSERT_TRUE(s.vol_wipe(*v, 0).ok());
    EXPECT_EQ(download(s, *v, 100, 5), std::string(5, '\0'));
    EXPECT_EQ(download(s, *clone, 100, 5), "hello"); // the clone is its own copy
}

TEST(MockStorageDriver, ResizeNeedsTheShrinkFlagToShrink) {
    MockStorageDriver s;
    Result<PoolRef> p = s.pool_create_xml(kPool, 0);
    Result<VolRef> v = s.vol_create_xml(*p, vol_xml("disk", "4096"), 0);
    ASSERT_TRUE(upload(s, *v, 4000, std::string(96, 'x')).ok());
    ASSERT_TRUE(s.vol_resize(*v, 8192, 0).ok());
    EXPECT_EQ(s.vol_get_info(*v)->capacity, 8192u);
    EXPECT_EQ(s.vol_resize(*v, 1024, 0).error().code(), ErrorCode::InvalidArg);
    ASSERT_TRUE(s.vol_resize(*v, 1024, kResizeDelta).ok());
    EXPECT_EQ(s.vol_get_info(*v)->capacity, 9216u);
    ASSERT_TRUE(s.vol_resize(*v, 4000, kResizeShrink).ok());
    EXPECT_EQ(download(s, *v, 0, 0).size(), 4000u); // the data past the new end is gone
    ASSERT_TRUE(s.vol_resize(*v, 4096, 0).ok());
    EXPECT_EQ(download(s, *v, 4000, 96), std::string(96, '\0'));
    ASSERT_TRUE(s.vol_delete(*v, 0).ok());
    EXPECT_EQ(s.vol_get_info(*v).error().code(), ErrorCode::NoStorageVol);
}

TEST(MockStorageDriver, PersistentPoolsSurviveInTheStateDirectory) {
    TempDir dir;
    {
        MockStorageDriver s(dir.path());
        Result<PoolRef> p = s.pool_define_xml(kPool, 0);
        ASSERT_TRUE(s.pool_set_autostart(*p, true).ok());
        std::string other(kPool);
        other.replace(other.find("images"), 6, "scratch");
        ASSERT_TRUE(s.pool_define_xml(other, 0).ok());
        ASSERT_TRUE(
            s.pool_create_xml(
                 "<pool type='dir'><name>gone</name><target><path>/g</path></target></pool>", 0)
                .ok());
    }
    MockStorageDriver again(dir.path());
    EXPECT_EQ(again.pool_list_all(0)->size(), 2u);
    EXPECT_TRUE(*again.pool_is_active(*again.pool_lookup_by_name("images")));
    EXPECT_FALSE(*again.pool_is_active(*again.pool_lookup_by_name("scratch")));
    ASSERT_TRUE(again.pool_undefine(*again.pool_lookup_by_name("scratch")).ok());
    EXPECT_FALSE(read_file(dir.path() + "/mock/pools/scratch.xml").ok());
}

} // namespace
} // namespace virtd
