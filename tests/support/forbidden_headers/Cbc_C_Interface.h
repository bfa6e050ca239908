// Stands in for <Cbc_C_Interface.h> where only the core may be used (tests/CMakeLists.txt,
// tests/package): a core header that includes CBC fails here.
#error "<Cbc_C_Interface.h> included from a core-only build: only hermes/map/ilp_mapper.hpp (target hermes::cbc) may include CBC"
