// Asks the person at the terminal for what SASL authentication needs and nothing else gave
// (libvirt's virsh does the same): the name on stderr/stdin, the password without echo when
// stdin is a terminal.
#pragma once

#include <string>
#include <string_view>

#include "client/sasl_auth.h"
#include "common/error.h"

namespace virtd::vsh {

Result<std::string> ask_credential(client::CredentialKind kind, std::string_view prompt);

} // namespace virtd::vsh
