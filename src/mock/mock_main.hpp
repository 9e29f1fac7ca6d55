// The `mock-backend` subcommand: parses its flags, runs a MockBackend until SIGINT/SIGTERM.
#pragma once

namespace lmp::mock {

// argv[0] is "mock-backend". Prints "mock backend listening on <address>:<port>" (IPv6
// addresses in brackets) as its only stdout line once it accepts connections. Returns 0 after
// a signal or --help, 2 for bad flags, 1 when it cannot listen.
int run_mock_backend(int argc, char** argv);

}  // namespace lmp::mock
