#include <gtest/gtest.h>

#include "virtd/events.h"

namespace virtd {
namespace {

TEST(EventDispatcher, CallbackIdsAreUniqueAndOwnedByTheirClient) {
    EventDispatcher events(nullptr);
    int32_t a = events.add_callback(1, 0, std::nullopt);
    int32_t b = events.add_callback(1, 0, Uuid::generate());
    int32_t c = events.add_callback(2, 0, std::nullopt);
    EXPECT_NE(a, b);
    EXPECT_NE(b, c);
    // Another client cannot remove a callback it does not own.
    Status foreign = events.remove_callback(2, a);
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().code(), ErrorCode::InvalidArg);
    EXPECT_TRUE(events.remove_callback(1, a).ok());
    EXPECT_FALSE(events.remove_callback(1, a).ok());
    events.client_closed(1);
    EXPECT_FALSE(events.remove_callback(1, b).ok());
    EXPECT_TRUE(events.remove_callback(2, c).ok());
    events.domain_event({{"x", {}, -1}, 0, 0}); // no server: nothing to send, nothing breaks
}

TEST(EventDispatcher, LegacyRegistrationIsOncePerEventId) {
    EventDispatcher events(nullptr);
    EXPECT_TRUE(events.add_legacy(7, 0).ok());
    EXPECT_EQ(events.add_legacy(7, 0).error().code(), ErrorCode::OperationFailed);
    EXPECT_TRUE(events.add_legacy(8, 0).ok());
    EXPECT_TRUE(events.remove_legacy(7, 0).ok());
    EXPECT_FALSE(events.remove_legacy(7, 0).ok());
    events.client_closed(8);
    EXPECT_FALSE(events.remove_legacy(8, 0).ok());
}

} // namespace
} // namespace virtd
