// Boost.JSON's implementation, compiled once for the tests that parse our answers (the test
// executable links no Boost.JSON library).
#include <boost/json/src.hpp>
