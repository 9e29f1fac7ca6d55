// Entry point: everything is in app/.
#include "app/main.hpp"

int main(int argc, char** argv) {
  return lmp::app::run_main(argc, argv);
}
