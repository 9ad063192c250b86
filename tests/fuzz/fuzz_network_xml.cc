// Fuzz target: network XML (conf/network.cc).
#include "conf/network.h"
#include "tests/fuzz/xml_roundtrip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return fuzz_xml_roundtrip<virtd::conf::NetworkDef>(data, size);
}
