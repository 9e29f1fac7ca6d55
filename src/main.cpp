// Entry point: everything is in app/.
#include "app/main.hpp"

#ifdef LMP_JEMALLOC
// jemalloc reads its options from this symbol when it starts. A background thread returns freed
// pages to the system once they have been unused for a second, so that the memory of a burst of
// connections does not stay with an idle proxy, without any purging on the proxy's own threads.
// MALLOC_CONF in the environment still overrides these.
extern "C" {
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

int main(int argc, char** argv) {
  return lmp::app::run_main(argc, argv);
}
