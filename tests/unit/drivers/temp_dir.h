// A private directory under /tmp for one test, removed with everything in it afterwards.
#pragma once

#include <cstdlib>
#include <string>

#include <unistd.h>

namespace virtd {

class TempDir {
public:
    TempDir() {
        char t[] = "/tmp/virtd-mock-XXXXXX";
        path_ = mkdtemp(t);
    }
    ~TempDir() { (void)std::system(("rm -rf " + path_).c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

} // namespace virtd
