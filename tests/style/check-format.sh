#!/bin/sh
# Fails listing every tracked C++ file that clang-format (the project's .clang-format) would change.
set -eu
cd "$1"
bad=""
for f in $(git ls-files --cached --others --exclude-standard '*.cc' '*.h' 2>/dev/null || find . -name '*.cc' -o -name '*.h'); do
    [ -f "$f" ] || continue
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
    echo "not formatted with .clang-format (run: clang-format -i FILE):$bad"
    exit 1
fi
echo "all C++ files formatted"
