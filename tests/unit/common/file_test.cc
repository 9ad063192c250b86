#include <string>
#include <vector>

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"

namespace virtd {
namespace {

class TempDir {
public:
    TempDir() {
        char t[] = "/tmp/virtd-file-XXXXXX";
        path_ = mkdtemp(t);
    }
    ~TempDir() { (void)system(("rm -rf " + path_).c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = opendir(dir.c_str());
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") out.push_back(name);
    }
    closedir(d);
    return out;
}

TEST(AtomicWrite, ReplacesContentAndLeavesNoTemporary) {
    TempDir dir;
    std::string path = path_join(dir.path(), "web1.xml");
    ASSERT_TRUE(write_file_atomic(path, "first").ok());
    ASSERT_TRUE(write_file_atomic(path, "second, longer", 0640).ok());
    EXPECT_EQ(*read_file(path), "second, longer");
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"web1.xml"});
}

TEST(AtomicWrite, FailureNamesThePathAndKeepsOldContent) {
    TempDir dir;
    Status s = write_file_atomic(path_join(dir.path(), "missing/web1.xml"), "x");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("missing/web1.xml"), std::string::npos);

    // Renaming a file over a directory fails after the data was written: the directory (the
    // "old content") must survive and the temporary file must be gone.
    std::string target = path_join(dir.path(), "occupied");
    ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
    EXPECT_FALSE(write_file_atomic(target, "data").ok());
    struct stat st {};
    ASSERT_EQ(stat(target.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"occupied"});
}

using Writer = Status (*)(const std::string&, std::string_view, mode_t);

// A writer killed at random instants while a reader watches: the reader must only ever see one
// complete version, never a truncated or mixed file.
void reader_sees_whole_versions(Writer write) {
    TempDir dir;
    std::string path = path_join(dir.path(), "def.xml");
    const std::string a(200000, 'a');
    const std::string b(300000, 'b');
    ASSERT_TRUE(write(path, a, 0600).ok());
    for (int round = 0; round < 5; round++) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            for (int i = 0;; i++)
                (void)write(path, i % 2 ? a : b, 0600);
        }
        for (int i = 0; i < 200; i++) {
            Result<std::string> got = read_file(path);
            ASSERT_TRUE(got.ok());
            ASSERT_TRUE(*got == a || *got == b) << "partial file of " << got->size() << " bytes";
        }
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        Result<std::string> final_content = read_file(path);
        ASSERT_TRUE(final_content.ok());
        EXPECT_TRUE(*final_content == a || *final_content == b);
    }
}

TEST(AtomicWrite, ReaderNeverSeesPartialContentEvenWhenWriterIsKilled) {
    reader_sees_whole_versions(write_file_atomic);
}

// The run-dir variant skips only the fsyncs: same content, mode, no temporary, whole versions.
TEST(RunFileWrite, ReplacesWholeWithoutSyncing) {
    TempDir dir;
    std::string path = path_join(dir.path(), "vmm.pid");
    ASSERT_TRUE(write_run_file(path, "1234\n").ok());
    ASSERT_TRUE(write_run_file(path, "56\n", 0644).ok());
    EXPECT_EQ(*read_file(path), "56\n");
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"vmm.pid"});
    Status s = write_run_file(path_join(dir.path(), "no/such/vmm.pid"), "1");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("no/such/vmm.pid"), std::string::npos);
    reader_sees_whole_versions(write_run_file);
}

TEST(ReadFile, EnforcesLimitAndNamesFile) {
    TempDir dir;
    std::string path = path_join(dir.path(), "big");
    ASSERT_TRUE(write_file_atomic(path, std::string(5000, 'x')).ok());
    EXPECT_EQ(read_file(path, 5000)->size(), 5000u);
    Result<std::string> r = read_file(path, 4999);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find(path), std::string::npos);
    EXPECT_FALSE(read_file(path_join(dir.path(), "none")).ok());
}

TEST(MakeDirs, CreatesParentsAndAcceptsExisting) {
    TempDir dir;
    std::string deep = path_join(dir.path(), "a/b/c");
    ASSERT_TRUE(make_dirs(deep).ok());
    ASSERT_TRUE(make_dirs(deep).ok());
    struct stat st {};
    EXPECT_EQ(stat(deep.c_str(), &st), 0);
    ASSERT_TRUE(write_file_atomic(path_join(dir.path(), "f"), "x").ok());
    EXPECT_FALSE(make_dirs(path_join(dir.path(), "f/g")).ok());
}

TEST(Paths, JoinDirnameBasename) {
    EXPECT_EQ(path_join("/etc/virtd", "qemu.conf"), "/etc/virtd/qemu.conf");
    EXPECT_EQ(path_join("/etc/virtd/", "x"), "/etc/virtd/x");
    EXPECT_EQ(path_join("/etc", "/abs"), "/abs");
    EXPECT_EQ(path_join("", "x"), "x");
    EXPECT_EQ(path_dirname("/a/b"), "/a");
    EXPECT_EQ(path_dirname("/a/b/"), "/a");
    EXPECT_EQ(path_dirname("/a"), "/");
    EXPECT_EQ(path_dirname("b"), ".");
    EXPECT_EQ(path_dirname("/"), "/");
    EXPECT_EQ(path_basename("/a/b/"), "b");
    EXPECT_EQ(path_basename("b"), "b");
    EXPECT_EQ(path_basename("/"), "/");
}

} // namespace
} // namespace virtd
