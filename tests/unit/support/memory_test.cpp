#include "support/memory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace lmp::memory {
namespace {

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

TEST(Memory, TheTestsRunOnGlibcsAllocator) {
  // Only the executable links jemalloc; whatever links the library alone finds no mallctl.
  EXPECT_EQ(allocator_name(), "glibc");
}

TEST(Memory, ReleaseFreeGivesBackFreedHeapPinnedBelowALiveBlock) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator keeps freed memory in quarantine";
#endif
  // 32 MB in 1 KB blocks, then one block that stays: the freed ones below it cannot be trimmed
  // from the top of the heap, which is what a burst of connections leaves behind.
  constexpr std::size_t kBlocks = 32 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks;
  blocks.reserve(kBlocks);
  for (std::size_t i = 0; i < kBlocks; ++i) {
    blocks.emplace_back(new char[1024]);
    std::memset(blocks.back().get(), 1, 1024);  // resident, not just reserved
  }
  auto pin = std::make_unique<char[]>(1024);
  blocks.clear();
  blocks.shrink_to_fit();
  const std::size_t before = resident_bytes();
  release_free();
  const std::size_t after = resident_bytes();
  EXPECT_LT(after + 16 * 1024 * 1024, before) << "before " << before << ", after " << after;
}

}  // namespace
}  // namespace lmp::memory
