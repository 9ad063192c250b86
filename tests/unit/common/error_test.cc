#include <gtest/gtest.h>

#include "common/error.h"

namespace virtd {
namespace {

TEST(Error, CodesKeepLibvirtNumbers) {
    // Stock clients compare these numbers; they must never move.
    EXPECT_EQ(static_cast<int>(ErrorCode::NoSupport), 3);
    EXPECT_EQ(static_cast<int>(ErrorCode::InvalidArg), 8);
    EXPECT_EQ(static_cast<int>(ErrorCode::XmlError), 27);
    EXPECT_EQ(static_cast<int>(ErrorCode::OperationDenied), 29);
    EXPECT_EQ(static_cast<int>(ErrorCode::Rpc), 39);
    EXPECT_EQ(static_cast<int>(ErrorCode::NoDomain), 42);
    EXPECT_EQ(static_cast<int>(ErrorCode::NoStoragePool), 49);
    EXPECT_EQ(static_cast<int>(ErrorCode::OperationInvalid), 55);
    EXPECT_EQ(static_cast<int>(ErrorCode::AccessDenied), 88);
    EXPECT_EQ(static_cast<int>(ErrorCode::MultipleDomains), 110);
    EXPECT_EQ(static_cast<int>(ErrorDomain::Rpc), 7);
    EXPECT_EQ(static_cast<int>(ErrorDomain::Qemu), 10);
    EXPECT_EQ(static_cast<int>(ErrorDomain::Storage), 18);
    EXPECT_EQ(static_cast<int>(ErrorDomain::Domain), 20);
    EXPECT_EQ(static_cast<int>(ErrorLevel::Error), 2);
}

TEST(Error, NamesMatchCodes) {
    EXPECT_EQ(error_code_name(ErrorCode::NoDomain), "VIR_ERR_NO_DOMAIN");
    EXPECT_EQ(error_code_name(ErrorCode::OperationInvalid), "VIR_ERR_OPERATION_INVALID");
    EXPECT_EQ(error_code_name(ErrorCode::XmlError), "VIR_ERR_XML_ERROR");
    EXPECT_EQ(error_code_name(ErrorCode::NoNetworkMetadata), "VIR_ERR_NO_NETWORK_METADATA");
    EXPECT_EQ(error_code_name(static_cast<ErrorCode>(41)), "VIR_WAR_NO_NETWORK");
    EXPECT_EQ(error_code_name(static_cast<ErrorCode>(500)), "VIR_ERR_UNKNOWN");
}

TEST(Error, TextPutsSummaryBeforeDetail) {
    Error e =
        make_error(ErrorCode::NoDomain, ErrorDomain::Qemu, "no domain with name '{}'", "web1");
    EXPECT_EQ(e.code(), ErrorCode::NoDomain);
    EXPECT_EQ(e.domain(), ErrorDomain::Qemu);
    EXPECT_EQ(e.level(), ErrorLevel::Error);
    EXPECT_EQ(e.message(), "no domain with name 'web1'");
    EXPECT_EQ(e.text(), "Domain not found: no domain with name 'web1'");
    EXPECT_EQ(Error(ErrorCode::OperationInvalid, ErrorDomain::Qemu, "").text(),
              "Requested operation is not valid");
}

TEST(Error, ContextIsPrefixed) {
    Error e = Error(ErrorCode::ReadFailed, ErrorDomain::None, "too big").with_context("'/x'");
    EXPECT_EQ(e.message(), "'/x': too big");
    EXPECT_EQ(e.code(), ErrorCode::ReadFailed);
}

TEST(Error, SystemErrorNamesTheCall) {
    Error e = system_error(ErrorDomain::None, ENOENT, "opening '/nope'");
    EXPECT_EQ(e.code(), ErrorCode::SystemError);
    EXPECT_EQ(e.message(), "opening '/nope': No such file or directory");
}

Result<int> half(int v) {
    if (v % 2) return make_error(ErrorCode::InvalidArg, ErrorDomain::None, "{} is odd", v);
    return v / 2;
}

TEST(Result, CarriesValueOrError) {
    Result<int> good = half(8);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 4);
    Result<int> bad = half(3);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "3 is odd");
    Status ok;
    EXPECT_TRUE(ok.ok());
    Status failed = bad.error();
    EXPECT_EQ(failed.error().code(), ErrorCode::InvalidArg);
}

} // namespace
} // namespace virtd
