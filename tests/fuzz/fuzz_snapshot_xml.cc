// Fuzz target: domain snapshot XML (conf/domain_snapshot.cc).
#include "conf/domain_snapshot.h"
#include "tests/fuzz/xml_roundtrip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return fuzz_xml_roundtrip<virtd::conf::DomainSnapshotDef>(data, size);
}
