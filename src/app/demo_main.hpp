// The `demo` subcommand: the mock backend, the proxy in front of it, the metrics API (and the
// dashboard) in one process, with a steady mix of traffic sent through the proxy, so that a
// newcomer sees live numbers within seconds.
#pragma once

#include <string>
#include <vector>

namespace lmp::app {

// args: what follows "demo" on the command line. Prints the listening lines of the normal
// start-up and "demo: sending traffic to ...". Returns 0 after SIGINT/SIGTERM, --duration or
// --help, 2 for bad flags, 1 when something cannot start.
int run_demo(const std::vector<std::string>& args);

std::string demo_help_text();

}  // namespace lmp::app
