// The interactive shell: a prompt with history and completion (libedit), and the splitting of a
// typed line into commands and words with virsh's quoting rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "tools/vsh/vsh.h"

namespace virtd::vsh {

// Splits a line into commands (at unquoted ';') and each command into words. Single quotes keep
// everything, double quotes allow backslash escapes, a backslash escapes one character outside
// quotes, and an unquoted '#' at the start of a word begins a comment.
Result<std::vector<std::vector<std::string>>> split_line(std::string_view line);

// Runs the shell until quit, exit or end of input; returns the last command's success.
bool run_shell(Vsh& vsh);

} // namespace virtd::vsh
