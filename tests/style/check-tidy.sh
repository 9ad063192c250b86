#!/bin/sh
# Runs clang-tidy (the project's .clang-tidy) over every non-test C++ source, two at a time.
# usage: check-tidy.sh SOURCE_ROOT BUILD_DIR
set -eu
cd "$1"
files=$(git ls-files --cached --others --exclude-standard '*.cc' 2>/dev/null | grep -v '^tests/' || true)
[ -n "$files" ] || { echo "no sources"; exit 0; }
# shellcheck disable=SC2086
if echo $files | xargs -n 4 -P 2 clang-tidy -p "$2" --quiet 2>&1 | grep -v "warnings generated" |
    grep -E "(warning|error):" ; then
    echo "clang-tidy found problems (see above)"
    exit 1
fi
echo "clang-tidy: $(echo $files | wc -w) files clean"
