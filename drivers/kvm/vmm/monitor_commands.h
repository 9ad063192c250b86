// The commands virtd-vmm's monitor answers (MONITOR.md lists them): the glue between the
// generic Monitor server and one Machine. Each handler is a few lines calling the machine.
#pragma once

#include "drivers/kvm/vmm/machine.h"
#include "drivers/kvm/vmm/monitor.h"

namespace virtd::vmm {

// Registers every command on `monitor`; the machine must outlive the monitor's serving.
void add_machine_commands(Monitor& monitor, Machine& machine);

// The reason a SHUTDOWN event gives for how a run ended.
const char* ending_reason(Ending ending);

} // namespace virtd::vmm
