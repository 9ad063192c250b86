// Fuzz target: pool XML (conf/storage_pool.cc).
#include "conf/storage_pool.h"
#include "tests/fuzz/xml_roundtrip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return fuzz_xml_roundtrip<virtd::conf::StoragePoolDef>(data, size);
}
