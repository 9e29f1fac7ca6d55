// Gives the allocator's free memory back to the system, whichever allocator the process runs on.
#pragma once

#include <string_view>

namespace lmp::memory {

// "jemalloc" when the executable is linked with it (LMP_JEMALLOC), else "glibc".
std::string_view allocator_name();

// Returns the memory the allocator holds free to the system now: jemalloc's dirty pages in every
// arena, or glibc's free heap pages (malloc_trim). Takes a few milliseconds after a large burst.
void release_free();

}  // namespace lmp::memory
