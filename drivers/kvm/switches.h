// Switches: the userspace switch (virtd-switch) behind each virtual network that guests on
// this host use. A guest's <interface type='network'> becomes a port on RUN/NAME.sock; the
// switch is started the first time a guest needs it and then outlives the daemon like the
// guests do (a restarted daemon finds it by its pid file and socket).
//
// Thread safety: ensure() may be called from any thread.
#pragma once

#include <mutex>
#include <string>

#include "common/error.h"

namespace virtd::kvm {

class Switches {
public:
    // `dir` holds NAME.sock and NAME.pid of each switch; `binary` is virtd-switch.
    Switches(std::string dir, std::string binary)
        : dir_(std::move(dir))
        , binary_(std::move(binary)) {}

    const std::string& dir() const { return dir_; }
    // Makes sure the switch of network `name` runs and accepts ports.
    Status ensure(const std::string& name);

private:
    std::string dir_;
    std::string binary_;
    std::mutex mu_;
};

} // namespace virtd::kvm
