// Runs a libFuzzer target over files and directories of inputs, for builds without libFuzzer:
// the fuzz targets always compile, and CI replays the XML corpus through them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>

#include "common/file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void collect(const std::string& path, std::vector<std::string>* out) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        out->push_back(path);
        return;
    }
    DIR* d = opendir(path.c_str());
    if (!d) return;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") collect(path + "/" + name, out);
    }
    closedir(d);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> inputs;
    for (int i = 1; i < argc; i++)
        collect(argv[i], &inputs);
    for (const std::string& file : inputs) {
        virtd::Result<std::string> data = virtd::read_file(file);
        if (!data) continue;
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data->data()), data->size());
        // Every prefix exercises the truncated-input paths too.
        for (size_t cut = 1; cut < data->size(); cut += 1 + data->size() / 16)
            LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data->data()), cut);
    }
    std::printf("replayed %zu inputs\n", inputs.size());
    return 0;
}
