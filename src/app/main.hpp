// The program: parses the configuration, wires the layers together, runs until a signal.
#pragma once

namespace lmp::app {
int run_main(int argc, char** argv);
}
