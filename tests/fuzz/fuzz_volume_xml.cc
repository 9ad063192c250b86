// Fuzz target: storage volume XML (conf/storage_vol.cc).
#include "conf/storage_vol.h"
#include "tests/fuzz/xml_roundtrip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return fuzz_xml_roundtrip<virtd::conf::StorageVolDef>(data, size);
}
