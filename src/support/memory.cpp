#include "support/memory.hpp"

#include <malloc.h>

#include <cstddef>

// jemalloc's control interface. Declared weak so that what links this library without jemalloc
// (the tests, a sanitized build) still links, and finds the symbol null at run time.
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp,
                       std::size_t newlen) __attribute__((weak));

namespace lmp::memory {

std::string_view allocator_name() {
  return mallctl != nullptr ? "jemalloc" : "glibc";
}

void release_free() {
  if (mallctl != nullptr) {
    // "arena.<MALLCTL_ARENAS_ALL>.purge": 4096 names every arena in jemalloc 5.
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
    return;
  }
  ::malloc_trim(0);
}

}  // namespace lmp::memory
