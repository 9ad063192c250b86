// Helpers for testing one domain device kind at a time: read a fragment, format a device, wrap
// devices in a full domain for the schema, and check the round trip.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "conf/schema.h"
#include "conf/xml_reader.h"
#include "conf/xml_writer.h"

namespace virtd::conf::testing {

template <typename T>
struct DeviceRead {
    T device;
    std::vector<std::string> errors;
};

// Reads `xml`, whose root is a `root` device element, with T::read.
template <typename T>
DeviceRead<T> read_device(std::string_view xml, const char* root) {
    XmlReader r(xml);
    DeviceRead<T> out;
    out.device = T::read(r.root(root));
    out.errors = r.finish();
    return out;
}

template <typename T>
std::string format_device(const T& d) {
    pugi::xml_document doc;
    d.write(doc);
    return format_xml(doc);
}

// A full domain document around `devices`, for the schema.
inline std::string domain_with(const std::string& devices) {
    return "<domain type='kvm'>\n"
           "  <name>web1</name>\n"
           "  <memory unit='MiB'>256</memory>\n"
           "  <vcpu>1</vcpu>\n"
           "  <os>\n"
           "    <type arch='riscv64' machine='virt'>hvm</type>\n"
           "    <kernel>/var/lib/virtd/boot/Image</kernel>\n"
           "  </os>\n"
           "  <devices>\n" +
           devices + "  </devices>\n</domain>\n";
}

// The device formats to text that reads back to an equal device and formats the same again,
// and the schema accepts it inside a domain.
template <typename T>
void expect_device_round_trip(const T& d, const char* root) {
    std::string text = format_device(d);
    DeviceRead<T> again = read_device<T>(text, root);
    EXPECT_THAT(again.errors, ::testing::IsEmpty()) << text;
    EXPECT_EQ(again.device, d) << text;
    EXPECT_EQ(format_device(again.device), text);
    EXPECT_THAT(validate_with_schema("domain.rng", domain_with(text)), ::testing::IsEmpty())
        << text;
}

} // namespace virtd::conf::testing
