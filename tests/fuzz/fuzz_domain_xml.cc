// Fuzz target: domain XML (conf/domain.cc).
#include "conf/domain.h"
#include "tests/fuzz/xml_roundtrip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return fuzz_xml_roundtrip<virtd::conf::DomainDef>(data, size);
}
