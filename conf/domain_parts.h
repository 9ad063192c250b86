// The readers and writers for the parts of <domain> that are not devices, one file per part:
// domain_memory.cc (memory sizes, memoryBacking), domain_cpu.cc (vcpu, cputune) and
// domain_os.cc (os, features, clock, lifecycle actions). Private to conf/domain*.cc.
#pragma once

#include <pugixml.hpp>

#include "conf/domain.h"
#include "conf/xml_reader.h"

namespace virtd::conf {

void read_domain_memory(const XmlElement& root, DomainDef& d);
void write_domain_memory(pugi::xml_node root, const DomainDef& d);

void read_domain_cpu(const XmlElement& root, DomainDef& d);
void write_domain_cpu(pugi::xml_node root, const DomainDef& d);

void read_domain_os(const XmlElement& root, DomainDef& d);
void write_domain_os(pugi::xml_node root, const DomainDef& d);

} // namespace virtd::conf
