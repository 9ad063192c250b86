// RelaxNG validation of documents against the project's schemas in schemas/.
//
// Compiled schemas are cached for the life of the process and shared between threads; each
// validation uses its own context, so validate() may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace virtd::conf {

// Where schemas are read from: $VIRTD_SCHEMA_DIR if set, else the source tree's schemas/ when
// it exists (a build that is not installed), else the installed data directory.
std::string schema_dir();

// Validates `xml` against `schema_file` (e.g. "domain.rng"). Returns the problems, each as
// "line N: ELEMENT: message"; empty means valid. A schema that cannot be loaded is reported as a
// problem too, naming the file.
std::vector<std::string> validate_with_schema(std::string_view schema_file, std::string_view xml);

} // namespace virtd::conf
