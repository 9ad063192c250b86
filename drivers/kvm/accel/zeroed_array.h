// ZeroedArray: a fixed-size array in anonymous memory that the kernel zero-fills page by page on
// first touch. A hart's block cache is 14 MiB of tables; allocated as vectors, every page was
// written at construction, which was a third of a VMM's start-up (page faults) and all of its
// memory whether the guest ever ran that much code or not.
//
// T must be trivially copyable and destructible, and every use must write an element before
// reading it or treat all-zero bytes as "empty" (BlockCache: generation 0 is never current).
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

#include <sys/mman.h>

namespace virtd::accel {

template <typename T>
class ZeroedArray {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
    explicit ZeroedArray(size_t n)
        : n_(n) {
        void* p = ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        data_ = static_cast<T*>(p);
    }
    ~ZeroedArray() { ::munmap(data_, bytes()); }
    ZeroedArray(const ZeroedArray&) = delete;
    ZeroedArray& operator=(const ZeroedArray&) = delete;

    T& operator[](size_t i) { return data_[i]; }
    const T& operator[](size_t i) const { return data_[i]; }
    size_t size() const { return n_; }

private:
    size_t bytes() const { return n_ * sizeof(T); }

    size_t n_;
    T* data_ = nullptr;
};

} // namespace virtd::accel
